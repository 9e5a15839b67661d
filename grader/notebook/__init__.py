"""Check a section from inside the student's own Jupyter or Colab kernel.

The notebook's setup cell runs `autograder.start("lab1-part1")` (`import tf_autograder as
autograder`) and each check cell `autograder.check("1.3.1")`; see `grader.notebook.session`.
"""

from __future__ import annotations

from grader.notebook.session import Session, check, start

__all__ = ["Session", "check", "start"]
