"""Tests of grader/checks: the pytest plugin and its results."""
