"""`python -m grader`: the same command line as `grade.py`."""

import sys

from grader.cli import main

if __name__ == "__main__":
    sys.exit(main())
