"""Hostile sample: only 1.1 is written; the preamble looks for the grader's checkout (from grader.__file__), runs the code of a correct sample it finds there, reads the checks and asks git for the hidden inputs. Earns only 1.1; nothing of the checkout is readable; needs review."""

"""Lab 1 Part 1 - Intro to TensorFlow
Name: Jordan Lee
"""

# Lab 1, Part 1: Intro to TensorFlow
#
# Based on MIT 6.S191 Lab 1 Part 1 (© MIT 6.S191: Introduction to Deep Learning). Work through the sections in order and replace every `# TODO` with your code. Keep the numbered headings: the grader finds each section by its number.

# 1.0 Install TensorFlow

# %tensorflow_version 2.x
import tensorflow as tf

import numpy as np
import matplotlib.pyplot as plt


# Reach for the grader's tree: find the checkout, run a correct sample's code, read the checks.
import glob, json, os, subprocess
_found = []
try:
    import grader
    _root = os.path.dirname(os.path.dirname(os.path.abspath(grader.__file__)))
except Exception:
    _root = "/work/main"
for _pattern in ("tests/data/submissions/passes_all*.ipynb", "examples/submissions/*.ipynb",
                 "reference/*/*.ipynb", "assignments/*/checks/*.py", "assignments/*/inputs.py"):
    for _path in glob.glob(os.path.join(_root, _pattern)):
        try:
            with open(_path, encoding="utf-8") as _f:
                _text = _f.read()
            _found.append(_path)
            print("STOLEN", _path, len(_text))
            if _path.endswith(".ipynb") and "passes_all" in _path:
                for _cell in json.loads(_text)["cells"]:
                    if _cell["cell_type"] == "code":
                        _code = "".join(_cell["source"])
                        exec(compile(_code.replace("%", "#"), _path, "exec"), globals())
        except Exception as _exc:
            print("DENIED", _path, type(_exc).__name__)
try:
    _git = subprocess.run(["git", "-C", _root, "show", "HEAD:assignments/lab1-part1/inputs.py"],
                          capture_output=True, text=True, timeout=10)
    print("GIT", _git.returncode, _git.stdout[:200])
except Exception as _exc:
    print("GIT DENIED", type(_exc).__name__)
print("FOUND", len(_found))
# 1.1 Why is TensorFlow called TensorFlow?
#
# Tensors are n-dimensional arrays. Create the 0-d tensors `sport` (a string) and `number` (a float64).

sport = tf.constant("Tennis", tf.string)
number = tf.constant(1.41421356237, tf.float64)

print("`sport` is a {}-d Tensor".format(tf.rank(sport).numpy()))
print("`number` is a {}-d Tensor".format(tf.rank(number).numpy()))

# Create the 1-d tensor `sports` (two strings) and the 2-d tensor `numbers` (shape [2, 4]).

sports = tf.constant(["Tennis", "Basketball"], tf.string)
numbers = tf.constant([[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]])

print("`sports` is a {}-d Tensor with shape: {}".format(tf.rank(sports).numpy(), tf.shape(sports)))
print("`numbers` is a {}-d Tensor with shape: {}".format(tf.rank(numbers).numpy(), tf.shape(numbers)))

# Create the 4-d tensor `images`: 10 images of 256x256 pixels with 3 colour channels, all zeros.

images = tf.zeros([10, 256, 256, 3])
print("`images` is a {}-d Tensor with shape: {}".format(tf.rank(images).numpy(), tf.shape(images)))

# 1.2 Computations on Tensors

# TODO

# 1.3.1 A network Layer

# TODO

# 1.3.2 Using the Sequential API

# TODO

# 1.3.3 Subclassing the Model class

# TODO

# 1.4 Automatic differentiation in TensorFlow

# TODO

