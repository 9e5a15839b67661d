"""Tests of grader/intake: loading, splitting and naming submissions."""
