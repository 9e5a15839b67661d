"""Section 1.1: tensors of rank 0, 1, 2 and 4."""

from __future__ import annotations

import pytest

from grader.checks.assertions import fail
from grader.checks.data import SectionData
from grader.checks.values import dtype_of, is_tensor, shape_of, short_type, summary_of

FLOATS = ("float16", "float32", "float64", "bfloat16")


def _tensor(
    section: SectionData, name: str, *, rank: int, dtypes: tuple[str, ...], example: str
) -> tuple[int, ...]:
    __tracebackhide__ = True
    desc = section.require(name)
    if not is_tensor(desc):
        fail(f"`{name}` is a {short_type(desc)}, expected a tf.Tensor: create it with {example}")
    shape = shape_of(desc)
    dtype = dtype_of(desc)
    if shape is None or dtype is None:
        fail(f"`{name}` has no readable value; create it with {example}")
    if len(shape) != rank:
        fail(
            f"`{name}` is a {len(shape)}-d tensor of shape {list(shape)}, expected a {rank}-d tensor: "
            f"create it with {example}"
        )
    if dtype not in dtypes:
        fail(
            f"`{name}` has dtype {dtype}, expected {' or '.join(dtypes)}: create it with {example}"
        )
    return shape


@pytest.mark.check("1.1/sport")
def test_sport_is_string_scalar(section_1_1: SectionData) -> None:
    _tensor(
        section_1_1, "sport", rank=0, dtypes=("string",), example='tf.constant("Tennis", tf.string)'
    )


@pytest.mark.check("1.1/number")
def test_number_is_float64_scalar(section_1_1: SectionData) -> None:
    # The handout makes `number` a float64; tf.constant(1.41) alone would be a float32.
    _tensor(
        section_1_1,
        "number",
        rank=0,
        dtypes=("float64",),
        example="tf.constant(1.41421356237, tf.float64)",
    )


@pytest.mark.check("1.1/sports")
def test_sports_is_string_vector(section_1_1: SectionData) -> None:
    shape = _tensor(
        section_1_1,
        "sports",
        rank=1,
        dtypes=("string",),
        example='tf.constant(["Tennis", "Basketball"], tf.string)',
    )
    if shape != (2,):
        fail(f"`sports` has shape {list(shape)}, expected [2]: two sports, as in the handout")


@pytest.mark.check("1.1/numbers")
def test_numbers_is_float_matrix(section_1_1: SectionData) -> None:
    shape = _tensor(
        section_1_1,
        "numbers",
        rank=2,
        dtypes=FLOATS,
        example="tf.constant([[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]])",
    )
    if shape != (2, 4):
        fail(f"`numbers` has shape {list(shape)}, expected [2, 4]: two rows of four numbers")


@pytest.mark.check("1.1/images")
def test_images_is_zero_4d(section_1_1: SectionData) -> None:
    example = "tf.zeros([10, 256, 256, 3])"
    shape = _tensor(
        section_1_1, "images", rank=4, dtypes=(*FLOATS, "int32", "int64"), example=example
    )
    if shape != (10, 256, 256, 3):
        fail(f"`images` has shape {list(shape)}, expected [10, 256, 256, 3]: use {example}")
    summary = summary_of(section_1_1.get("images"))
    if summary is None or summary.nonzero != 0:
        fail(f"`images` is not all zeros: use {example}")
