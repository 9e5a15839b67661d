"""Decoding what the student process sent back: exact arrays, summaries, located errors."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from grader.run.decode import (
    MAX_DEPTH,
    HarvestFormatError,
    StudentError,
    Summary,
    Value,
    decode_value,
)
from grader.sandboxed.probe import encode_array


def _locate(chunk: int, line: int | None) -> tuple[str, str]:
    return f"cell {chunk + 3}, line {line}", f"student line {line}"


def _over_the_wire(raw: object) -> object:
    """What the parent receives: the child's plain data after a JSON round trip."""
    return json.loads(json.dumps(raw))


def _decode(raw: object) -> Value:
    return decode_value(_over_the_wire(raw), locate=_locate)


def _array(dtype: str, shape: list[int], data: bytes) -> dict[str, object]:
    return {
        "__ndarray__": {
            "dtype": dtype,
            "shape": shape,
            "data": base64.b64encode(data).decode("ascii"),
        }
    }


# --- arrays -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "array",
    [
        np.arange(6, dtype=np.float32).reshape(2, 3),
        np.array(3.5),
        np.array([True, False, True]),
        np.array([-(2**40), 7], dtype=np.int64),
        np.array([1, 2, 3], dtype=">i4"),
        np.array([1 + 2j, -0.5j], dtype=np.complex64),
        np.array([np.nan, np.inf, -0.0], dtype=np.float16),
        np.zeros((0, 3), dtype=np.float64),
        np.arange(24, dtype=np.uint8).reshape(2, 3, 4)[:, ::2, :],
    ],
    ids=[
        "float32-2d",
        "float64-0d",
        "bool",
        "int64",
        "big-endian",
        "complex64",
        "float16-special",
        "empty",
        "non-contiguous",
    ],
)
def test_decode_value_round_trips_arrays(array: np.ndarray) -> None:
    decoded = _decode(encode_array(array))
    assert isinstance(decoded, np.ndarray)
    assert decoded.shape == array.shape
    assert decoded.dtype == array.dtype.newbyteorder("=")
    np.testing.assert_array_equal(decoded, array)


def test_decode_value_arrays_are_writable_copies() -> None:
    decoded = _decode(encode_array(np.ones(3, dtype=np.float32)))
    assert isinstance(decoded, np.ndarray)
    decoded[0] = 5.0  # checks may normalise values in place
    assert decoded.tolist() == [5.0, 1.0, 1.0]


def test_decode_value_round_trips_string_arrays() -> None:
    decoded = _decode(encode_array(np.array([["Tennis", "Basketball"]])))
    assert isinstance(decoded, np.ndarray)
    assert decoded.shape == (1, 2)
    assert decoded.tolist() == [["Tennis", "Basketball"]]


def test_decode_value_large_array_arrives_as_summary() -> None:
    images = np.zeros((10, 256, 256, 3), dtype=np.float32)
    assert _decode(encode_array(images)) == Summary(
        dtype="float32", shape=(10, 256, 256, 3), nonzero=0, min=0.0, max=0.0
    )


def test_decode_value_keeps_plain_values_and_nesting() -> None:
    raw = {"n": 3, "x": 1.5, "ok": True, "s": "hi", "none": None, "items": [1, [2, {"k": "v"}]]}
    assert _decode(raw) == raw


@pytest.mark.parametrize(
    "raw",
    [
        {"__ndarray__": {"dtype": "|O", "shape": [1], "data": "AAAAAAAAAAA="}},
        _array("<V4", [1], b"\0" * 4),
        _array("<M8[s]", [1], b"\0" * 8),
        _array("<U1", [1], b"a\0\0\0"),
        _array("float32", [1], b"\0" * 4),
    ],
    ids=["object", "void", "datetime", "unicode-bytes", "unnormalised-name"],
)
def test_decode_value_rejects_disallowed_dtypes(raw: object) -> None:
    with pytest.raises(HarvestFormatError, match=r"dtype .* is not allowed"):
        _decode(raw)


@pytest.mark.parametrize(
    ("shape", "data"),
    [([2], b"\0" * 4), ([2], b"\0" * 12), ([], b""), ([0], b"\0" * 4)],
    ids=["too-short", "too-long", "scalar-without-data", "empty-with-data"],
)
def test_decode_value_rejects_wrong_byte_length(shape: list[int], data: bytes) -> None:
    with pytest.raises(HarvestFormatError, match="does not match its shape"):
        _decode(_array("<f4", shape, data))


@pytest.mark.parametrize(
    "shape",
    [[1001, 1000], [2**31, 2**31], [2] * 21],
    ids=["over-a-million", "overflowing", "many-dims"],
)
def test_decode_value_rejects_arrays_too_large(shape: list[int]) -> None:
    with pytest.raises(HarvestFormatError, match="too large"):
        _decode(_array("<f4", shape, b""))


@pytest.mark.parametrize(
    "shape",
    [[-1], [1.5], [True], "3", None, [1] * 33, [2**31 + 1]],
    ids=["negative", "float", "bool", "string", "missing", "too-many-dims", "dim-too-big"],
)
def test_decode_value_rejects_bad_shapes(shape: object) -> None:
    with pytest.raises(HarvestFormatError, match="bad shape"):
        _decode({"__ndarray__": {"dtype": "<f4", "shape": shape, "data": ""}})


def test_decode_value_rejects_non_text_data() -> None:
    with pytest.raises(HarvestFormatError, match="not base64 text"):
        _decode({"__ndarray__": {"dtype": "<f4", "shape": [1], "data": [0, 0, 0, 0]}})


@pytest.mark.parametrize(
    "data", ["!!!!", "AAA", "AAAA\nAAAA"], ids=["symbols", "padding", "newline"]
)
def test_decode_value_rejects_bad_base64(data: str) -> None:
    with pytest.raises(HarvestFormatError):
        _decode({"__ndarray__": {"dtype": "<f4", "shape": [1], "data": data}})


def test_decode_value_rejects_overflowing_empty_shape() -> None:
    with pytest.raises(HarvestFormatError):
        _decode(_array("<f4", [2**31, 2**31, 0], b""))


def test_decode_value_rejects_string_array_of_wrong_size() -> None:
    with pytest.raises(HarvestFormatError):
        _decode({"__strings__": {"shape": [2], "data": ["only one"]}})


@pytest.mark.parametrize(
    "raw",
    [
        {"__strings__": {"shape": [1], "data": [1]}},
        {"__strings__": {"shape": [1]}},
        {"__strings__": ["a"]},
    ],
    ids=["non-string-item", "no-data", "not-a-mapping"],
)
def test_decode_value_rejects_bad_string_arrays(raw: object) -> None:
    with pytest.raises(HarvestFormatError, match="bad string array"):
        _decode(raw)


@pytest.mark.parametrize("container", ["list", "dict"], ids=["lists", "dicts"])
def test_decode_value_rejects_too_deep_nesting(container: str) -> None:
    raw: object = 1
    for _ in range(MAX_DEPTH + 2):
        raw = [raw] if container == "list" else {"k": raw}
    with pytest.raises(HarvestFormatError, match="nested too deeply"):
        _decode(raw)


def test_decode_value_accepts_nesting_up_to_the_limit() -> None:
    raw: object = 1
    for _ in range(MAX_DEPTH):
        raw = [raw]
    assert _decode(raw) == raw


@pytest.mark.parametrize(
    "raw", [(1, 2), b"bytes", 1j, object()], ids=["tuple", "bytes", "complex", "object"]
)
def test_decode_value_rejects_non_json_values(raw: object) -> None:
    with pytest.raises(HarvestFormatError, match="unexpected"):
        decode_value(raw, locate=_locate)


# --- errors and summaries ---------------------------------------------------------------------


def test_decode_value_error_is_located_at_innermost_student_frame() -> None:
    raw = {
        "__error__": {
            "type": "ValueError",
            "message": "name must be passed as a keyword argument",
            "frames": [{"chunk": 4, "line": 20}, {"chunk": 2, "line": 7, "function": "build"}],
            "library_function": "add_weight",
        }
    }
    error = _decode({"layer": raw})
    assert error == {
        "layer": StudentError(
            type="ValueError",
            message="name must be passed as a keyword argument",
            location="cell 5, line 7",
            line_text="student line 7",
            chunk=2,
            library_function="add_weight",
        )
    }


def test_decode_value_error_without_student_frames_has_no_location() -> None:
    def locate(chunk: int, line: int | None) -> tuple[str, str]:
        raise AssertionError("no student frame: nothing to locate")

    raw = {"__error__": {"type": "RecursionError", "message": "too deep", "frames": []}}
    error = decode_value(raw, locate=locate)
    assert isinstance(error, StudentError)
    assert (error.location, error.line_text, error.chunk) == ("", "", None)
    assert error.describe() == "RecursionError: too deep"


def test_decode_value_error_truncates_huge_messages() -> None:
    raw = {"__error__": {"type": "E" * 500, "message": "m" * 100_000, "frames": []}}
    error = _decode(raw)
    assert isinstance(error, StudentError)
    assert len(error.type) == 100
    assert len(error.message) == 2000


def test_student_error_describe_names_place_line_and_hint() -> None:
    error = StudentError(
        type="ValueError",
        message="name must be passed as a keyword argument",
        location="section 1.3.1, cell 14, line 11",
        line_text='        self.W = self.add_weight("weight", shape=[d, n])',
        chunk=5,
        library_function="add_weight",
        hint='write add_weight(name="weight", ...)',
    )
    assert error.describe(with_hint=True) == (
        "ValueError: name must be passed as a keyword argument at section 1.3.1, cell 14, "
        'line 11 (`self.W = self.add_weight("weight", shape=[d, n])`)\n'
        'Hint: write add_weight(name="weight", ...)'
    )
    assert "Hint" not in error.describe()


def test_decode_value_summary_becomes_summary_record() -> None:
    raw = {"__summary__": {"dtype": "float32", "shape": [10, 256, 256, 3], "nonzero": 5}}
    assert _decode(raw) == Summary(
        dtype="float32", shape=(10, 256, 256, 3), nonzero=5, min=None, max=None
    )


def test_decode_value_summary_drops_fields_of_the_wrong_type() -> None:
    raw = {"__summary__": {"dtype": "float32", "shape": [3], "nonzero": True, "min": "0", "max": 2}}
    assert _decode(raw) == Summary(dtype="float32", shape=(3,), nonzero=None, min=None, max=2.0)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"__summary__": [1]}, "bad summary"),
        ({"__summary__": {"dtype": "float32", "shape": [-3]}}, "bad shape"),
        ({"__error__": "boom"}, "bad error report"),
    ],
    ids=["summary-not-mapping", "summary-bad-shape", "error-not-mapping"],
)
def test_decode_value_rejects_bad_records(raw: object, message: str) -> None:
    with pytest.raises(HarvestFormatError, match=message):
        _decode(raw)
