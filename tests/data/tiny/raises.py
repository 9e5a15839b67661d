# 1.1 Squares
def square(x):
    raise RuntimeError("not yet")

# 1.2 Greeting
greeting = "hello"
