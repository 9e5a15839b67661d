"""Check your lab as you go, inside Jupyter or Colab: `import tf_autograder as autograder`.

    autograder.start("lab1-part1")   # once, in the notebook's setup cell
    autograder.check("1.3.1")        # after a section: its report, from this kernel's state

Both do nothing outside a live IPython kernel, so the notebook costs nothing when it is graded.
From a terminal, check the whole notebook with `tf-autograder check my_lab.ipynb`.
(A package of its own, not `grader`: a graded notebook importing the grader's modules is a lead
for review; this name is only the student's API.)
"""

from __future__ import annotations

from grader.notebook import check, start

__all__ = ["check", "start"]
