"""The project's own tests; `tests/` mirrors `grader/`."""
