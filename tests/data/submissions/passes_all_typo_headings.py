"""Lab 1, part 1 -- Mei Tanaka. Typed up from the handout on my phone, so the headings are rough."""

import tensorflow as tf
import numpy as np

# 1,1 Why is TensorFlow called TensorFlow
sport = tf.constant("Tennis", tf.string)
number = tf.constant(1.41421356237, tf.float64)
sports = tf.constant(["Tennis", "Basketball"], tf.string)
numbers = tf.constant([[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]])
images = tf.zeros([10, 256, 256, 3])
print(sport, number, sports, numbers.shape, images.shape)

# l.2 Computations on Tensors
def func(a, b):
    c = tf.add(a, b)
    d = tf.subtract(b, 1)
    e = tf.multiply(c, d)
    return e

e_out = func(1.5, 2.5)
print(e_out)

# 1.3.l A network Layer
class OurDenseLayer(tf.keras.layers.Layer):
    def __init__(self, n_output_nodes):
        super().__init__()
        self.n_output_nodes = n_output_nodes

    def build(self, input_shape):
        d = int(input_shape[-1])
        self.W = self.add_weight(name="weight", shape=[d, self.n_output_nodes])
        self.b = self.add_weight(name="bias", shape=[1, self.n_output_nodes])

    def call(self, x):
        z = tf.matmul(x, self.W) + self.b
        return tf.sigmoid(z)

layer = OurDenseLayer(3)
layer.build((1, 2))
x_input = tf.constant([[1, 2.]], shape=(1, 2))
y = layer.call(x_input)
print(y.numpy())

# 1.3.2 Using the Sequential API
from tensorflow.keras import Sequential
from tensorflow.keras.layers import Dense

n_output_nodes = 3
model = Sequential()
model.add(Dense(n_output_nodes, activation='sigmoid'))
x_input = tf.constant([[1, 2.]], shape=(1, 2))
model_output = model(x_input).numpy()
print(model_output)

# 1.3.3Subclassing the Model class
class SubclassModel(tf.keras.Model):
    def __init__(self, n_output_nodes):
        super().__init__()
        self.dense_layer = Dense(n_output_nodes, activation='sigmoid')

    def call(self, inputs):
        return self.dense_layer(inputs)

model = SubclassModel(3)
print(model.call(x_input))

class IdentityModel(tf.keras.Model):
    def __init__(self, n_output_nodes):
        super().__init__()
        self.dense_layer = tf.keras.layers.Dense(n_output_nodes, activation='sigmoid')

    def call(self, inputs, isidentity=False):
        x = self.dense_layer(inputs)
        if isidentity:
            return inputs
        return x

model = IdentityModel(3)
out_activate = model.call(x_input)
out_identity = model.call(x_input, isidentity=True)
print(out_activate.numpy(), out_identity.numpy())

# 1.4 Automatic differentation
x = tf.Variable(3.0)
with tf.GradientTape() as tape:
    y = x * x
dy_dx = tape.gradient(y, x)
print(dy_dx)

x = tf.Variable([tf.random.normal([1])])
learning_rate = 1e-2
history = []
x_f = 4
for i in range(500):
    with tf.GradientTape() as tape:
        loss = (x - x_f)**2
    grad = tape.gradient(loss, x)
    x.assign(x - learning_rate * grad)
    history.append(x.numpy()[0])
print(history[-1])
