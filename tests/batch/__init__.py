"""Tests of grader/batch: many submissions, locally and on Dask."""
