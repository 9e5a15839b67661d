"""Tests of grader/cli: the commands as a user runs them."""
