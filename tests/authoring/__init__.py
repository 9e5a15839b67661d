"""Tests of grader/authoring: templates from the reference."""
