# Intro to TensorFlow - Lab 1 Part 1
# Sam Okafor, section B
#
# (I write my labs as plain scripts and run them with `python lab1.py`.)

import tensorflow as tf
import numpy as np
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

print("TensorFlow", tf.__version__)

# ==============================================================
# ===== 1.1 Why is TensorFlow called TensorFlow? ==============
# ==============================================================

# 0-d tensors
sport = tf.constant("Tennis", tf.string)
number = tf.constant(1.41421356237, tf.float64)
print("`sport` is a {}-d Tensor".format(tf.rank(sport).numpy()))
print("`number` is a {}-d Tensor".format(tf.rank(number).numpy()))

# 1-d and 2-d tensors
sports = tf.constant(["Tennis", "Basketball"], tf.string)
numbers = tf.constant([[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]])
print("`sports` is a {}-d Tensor with shape: {}".format(tf.rank(sports).numpy(), tf.shape(sports)))
print("`numbers` is a {}-d Tensor with shape: {}".format(tf.rank(numbers).numpy(), tf.shape(numbers)))

# 4-d tensor: 10 RGB images of 256 x 256
images = tf.zeros([10, 256, 256, 3])
print("`images` is a {}-d Tensor with shape: {}".format(tf.rank(images).numpy(), tf.shape(images)))

# ==============================================================
# ===== 1.2 Computations on Tensors ============================
# ==============================================================


def func(a, b):
    c = tf.add(a, b)
    d = tf.subtract(b, 1)
    e = tf.multiply(c, d)
    return e


a, b = 1.5, 2.5
e_out = func(a, b)
print(e_out)

# ==============================================================
# ===== 1.3 Neural networks in TensorFlow =====================
# ==============================================================

# ----- 1.3.1 A network Layer ----------------------------------


class OurDenseLayer(tf.keras.layers.Layer):
    def __init__(self, n_output_nodes):
        super(OurDenseLayer, self).__init__()
        self.n_output_nodes = n_output_nodes

    def build(self, input_shape):
        d = int(input_shape[-1])
        # W is [d, n], b is [1, n]
        self.W = self.add_weight(name="weight", shape=[d, self.n_output_nodes])
        self.b = self.add_weight(name="bias", shape=[1, self.n_output_nodes])

    def call(self, x):
        z = tf.matmul(x, self.W) + self.b
        y = tf.sigmoid(z)
        return y


tf.random.set_seed(1)
layer = OurDenseLayer(3)
layer.build((1, 2))
x_input = tf.constant([[1, 2.0]], shape=(1, 2))
y = layer.call(x_input)
print(y.numpy())

# ----- 1.3.2 Using the Sequential API -------------------------

from tensorflow.keras import Sequential
from tensorflow.keras.layers import Dense

n_output_nodes = 3
model = Sequential()
dense_layer = Dense(n_output_nodes, activation="sigmoid")
model.add(dense_layer)

x_input = tf.constant([[1, 2.0]], shape=(1, 2))
model_output = model(x_input).numpy()
print(model_output)

# ----- 1.3.3 Subclassing the Model class ----------------------

from tensorflow.keras import Model


class SubclassModel(tf.keras.Model):
    def __init__(self, n_output_nodes):
        super(SubclassModel, self).__init__()
        self.dense_layer = Dense(n_output_nodes, activation="sigmoid")

    def call(self, inputs):
        return self.dense_layer(inputs)


n_output_nodes = 3
model = SubclassModel(n_output_nodes)
x_input = tf.constant([[1, 2.0]], shape=(1, 2))
print(model.call(x_input))


class IdentityModel(tf.keras.Model):
    def __init__(self, n_output_nodes):
        super(IdentityModel, self).__init__()
        self.dense_layer = tf.keras.layers.Dense(n_output_nodes, activation="sigmoid")

    def call(self, inputs, isidentity=False):
        x = self.dense_layer(inputs)
        if isidentity:
            return inputs
        return x


n_output_nodes = 3
model = IdentityModel(n_output_nodes)
x_input = tf.constant([[1, 2.0]], shape=(1, 2))
out_activate = model.call(x_input)
out_identity = model.call(x_input, isidentity=True)
print("Network output with activation: {}; network identity output: {}".format(
    out_activate.numpy(), out_identity.numpy()))

# ==============================================================
# ===== 1.4 Automatic differentiation in TensorFlow ===========
# ==============================================================

x = tf.Variable(3.0)
with tf.GradientTape() as tape:
    y = x * x
dy_dx = tape.gradient(y, x)
assert dy_dx.numpy() == 6.0

# SGD on L = (x - x_f)^2
x = tf.Variable([tf.random.normal([1])])
print("Initializing x={}".format(x.numpy()))
learning_rate = 1e-2
history = []
x_f = 4
for i in range(500):
    with tf.GradientTape() as tape:
        loss = (x - x_f) ** 2
    grad = tape.gradient(loss, x)
    new_x = x - learning_rate * grad
    x.assign(new_x)
    history.append(x.numpy()[0])

plt.plot(history)
plt.plot([0, 500], [x_f, x_f])
plt.legend(("Predicted", "True"))
plt.xlabel("Iteration")
plt.ylabel("x value")
plt.savefig("sgd.png")
