"""Tests of grader/exports: one module per format."""
