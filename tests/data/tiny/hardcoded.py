# 1.1 Squares
def square(x):
    return 9.0

# 1.2 Greeting
greeting = "bye"
