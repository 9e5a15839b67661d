"""Command-line entry point: `python grade.py --help`."""

import sys

from grader.cli import main

if __name__ == "__main__":
    sys.exit(main())
