"""Tests of grader/run: the sandbox and what comes back from it."""
