"""Hostile sample: only 1.1 is written; a cell forges harvest answers for 1.2-1.4 into every file descriptor. Earns nothing; needs review."""

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


# A forger: describe a perfect 1.2-1.4 straight into the grader's channel, then say "done".
import json, os
_fake = {"func": {"types": ["builtins.function"], "callable": True}, "e_out": {"kind": "tensor"}}
for _fd in range(3, 64):
    for _event in (
        {"event": "harvest", "n": 3, "section": "1.2", "data": _fake},
        {"event": "done"},
    ):
        try:
            os.write(_fd, (json.dumps(_event) + "\n").encode())
        except OSError:
            pass
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

