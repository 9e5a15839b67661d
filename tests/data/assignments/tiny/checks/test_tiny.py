import numpy as np
import pytest

from grader.checks.assertions import StudentCodeError, fail
from grader.run.decode import StudentError


def _result(section, i):
    results = section.get("results", missing="`square` is not defined: def square(x): ...")
    value = results[i]
    if isinstance(value, StudentError):
        raise StudentCodeError(f"square raised {value.describe()}", value)
    return float(np.asarray(value["value"]))


@pytest.mark.check("1.1/square")
def test_square(squares):
    x = squares.inputs["xs"][0]
    if _result(squares, 0) != x * x:
        fail(f"square({x}) should be {x * x}")


@pytest.mark.check("1.1/square-unseen")
def test_square_unseen(squares):
    x = squares.inputs["xs"][1]
    if _result(squares, 1) != x * x:
        fail(f"square({x}) should be {x * x}")


@pytest.mark.check("1.2/greeting")
def test_greeting(greeting):
    value = greeting.get("greeting").get("python")
    if not isinstance(value, str) or "hello" not in value.lower():
        fail(f"greeting is {value!r}, expected a string that says hello")
