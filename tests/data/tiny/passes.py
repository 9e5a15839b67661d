# 1.1 Squares
def square(x):
    return x * x

# 1.2 Greeting
greeting = "Hello, world"
