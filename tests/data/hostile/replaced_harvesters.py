"""Hostile sample: only 1.1 is written; the preamble swaps the grader's harvest functions (found with gc) for ones that describe a perfect solution. Earns only 1.1; needs review."""

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


# A forger: find the grader's HARVESTERS through gc and swap in perfect descriptions.
import gc
def _perfect(ns, inputs):
    return {
        "func": {"types": ["builtins.function"], "callable": True, "function": True},
        "e_out": {"types": ["tensorflow.python.framework.ops.EagerTensor"], "kind": "tensor",
                  "value": {"__ndarray__": {"dtype": "<f4", "shape": [], "data": "AADAQA=="}}},
        "e_out_returned_by_func": True,
        "class": {"names": ["keras.src.layers.layer.Layer"], "is_subclass": True},
        "tape": {"calls": 501, "dy_dx_from_tape": True, "calls_on_x": 500},
    }
for _obj in gc.get_objects():
    if isinstance(_obj, dict) and "1.2" in _obj and "1.4" in _obj and callable(_obj.get("1.2")):
        for _key in list(_obj):
            if _key != "1.1":
                _obj[_key] = _perfect
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

