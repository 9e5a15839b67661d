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

# 1.2 Computations on Tensors
#
# Define `func(a, b)` computing c = a + b, d = b - 1 and e = c * d with TensorFlow operations.

# Construct a simple computation function
def func(a, b):
    c = tf.add(a, b)
    d = tf.subtract(b, 1)
    e = tf.multiply(c, d)
    return e

# Consider example values for a,b
a, b = 1.5, 2.5
# Execute the computation
e_out = func(a, b)
print(e_out)

# 1.3 Neural networks in TensorFlow

# 1.3.1 A network Layer
#
# A perceptron y = sigmoid(xW + b). Note: on Keras 3 `add_weight` takes the name as a keyword, `name="weight"`.

### Defining a network Layer ###

# n_output_nodes: number of output nodes
# input_shape: shape of the input
# x: input to the layer

class OurDenseLayer(tf.keras.layers.Layer):
    def __init__(self, n_output_nodes):
        super(OurDenseLayer, self).__init__()
        self.n_output_nodes = n_output_nodes

    def build(self, input_shape):
        d = int(input_shape[-1])
        # Define and initialize parameters: a weight matrix W and bias b
        # Note that parameter initialization is random!
        self.W = self.add_weight(name="weight", shape=[d, self.n_output_nodes])
        self.b = self.add_weight(name="bias", shape=[1, self.n_output_nodes])

    def call(self, x):
        # Define the operation for z
        z = x @ self.W + self.b
        # Define the operation for out
        y = tf.sigmoid(z)
        return y

# Since layer parameters are initialized randomly, we will set a random seed for reproducibility
tf.random.set_seed(1)
layer = OurDenseLayer(3)
layer.build((1, 2))
x_input = tf.constant([[1, 2.]], shape=(1, 2))
y = layer.call(x_input)

# print the output
print(y.numpy())

# 1.3.2 Using the Sequential API

### Defining a neural network using the Sequential API ###

# Import relevant packages
from tensorflow.keras import Sequential
from tensorflow.keras.layers import Dense

# Define the number of outputs
n_output_nodes = 3

# First define the model
model = Sequential()

# Define a dense (fully connected) layer to compute z
# Remember: dense layers are defined by the parameters W and b!
dense_layer = Dense(n_output_nodes, activation='sigmoid')

# Add the dense layer to the model
model.add(dense_layer)

# Test model with example input
x_input = tf.constant([[1, 2.]], shape=(1, 2))

# feed input into the model and predict the output
model_output = model(x_input).numpy()
print(model_output)

# 1.3.3 Subclassing the Model class

### Defining a model using subclassing ###

from tensorflow.keras import Model
from tensorflow.keras.layers import Dense

class SubclassModel(tf.keras.Model):

    # In __init__, we define the Model's layers
    def __init__(self, n_output_nodes):
        super(SubclassModel, self).__init__()
        self.dense_layer = Dense(n_output_nodes, activation='sigmoid')

    # Build the layers ourselves, as the Keras guide shows
    def build(self, input_shape):
        self.dense_layer.build(input_shape)

    # In the call function, we define the Model's forward pass.
    def call(self, inputs):
        return self.dense_layer(inputs)

n_output_nodes = 3
model = SubclassModel(n_output_nodes)

x_input = tf.constant([[1, 2.]], shape=(1, 2))

print(model.call(x_input))

### Defining a model using subclassing and specifying custom behavior ###

class IdentityModel(tf.keras.Model):

    # As before, in __init__ we define the Model's layers
    # Since our desired behavior involves the forward pass, this part is unchanged
    def __init__(self, n_output_nodes):
        super(IdentityModel, self).__init__()
        self.dense_layer = tf.keras.layers.Dense(n_output_nodes, activation='sigmoid')

    def build(self, input_shape):
        self.dense_layer.build(input_shape)

    # Implement the behavior where the network outputs the input, unchanged, under control of the isidentity argument
    def call(self, inputs, isidentity=False):
        x = self.dense_layer(inputs)
        if isidentity:
            return inputs
        return x

# Let's test this behavior:
n_output_nodes = 3
model = IdentityModel(n_output_nodes)

x_input = tf.constant([[1, 2.]], shape=(1, 2))
# pass the input into the model and call with and without the input identity option
out_activate = model.call(x_input)
out_identity = model.call(x_input, True)

print("Network output with activation: {}; network identity output: {}".format(out_activate.numpy(), out_identity.numpy()))

# 1.4 Automatic differentiation in TensorFlow

### Gradient computation with GradientTape ###

# y = x^2
# Example: x = 3.0
x = tf.Variable(3.0)  # Notice that x is a tf.Variable

# Initiate the gradient tape
with tf.GradientTape() as tape:
    y = x * x
# Access the gradient -- derivative of y with respect to x
dy_dx = tape.gradient(y, x)

assert dy_dx.numpy() == 6.0

### Function minimization with automatic differentiation and SGD ###

# Initialize a random value for our initial x
x = tf.Variable([tf.random.normal([1])])
print("Initializing x={}".format(x.numpy()))

learning_rate = 0.01
history = []
# Define the target value
x_f = 4

# We will run SGD for a number of iterations. At each iteration, we compute the loss,
# compute the derivative of the loss with respect to x, and perform the SGD update.
for i in range(500):
    with tf.GradientTape() as tape:
        loss = (x - x_f) ** 2

    # loss minimization using gradient tape
    grad = tape.gradient(loss, x)
    new_x = x - learning_rate * grad
    x.assign(new_x)  # update the value of x
    history.append(x.numpy()[0])

# Plot the evolution of x as we optimize towards x_f!
plt.plot(history)
plt.plot([0, 500], [x_f, x_f])
plt.legend(('Predicted', 'True'))
plt.xlabel('Iteration')
plt.ylabel('x value')
plt.show()
