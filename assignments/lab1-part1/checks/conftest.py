"""Fixtures for Lab 1 Part 1 checks: one per section."""

from __future__ import annotations

import pytest

from grader.checks.data import SectionData
from grader.checks.plugin import Grading


@pytest.fixture
def section_1_1(grading: Grading) -> SectionData:
    return grading.section("1.1")


@pytest.fixture
def section_1_2(grading: Grading) -> SectionData:
    return grading.section("1.2")


@pytest.fixture
def section_1_3_1(grading: Grading) -> SectionData:
    return grading.section("1.3.1")


@pytest.fixture
def section_1_3_2(grading: Grading) -> SectionData:
    return grading.section("1.3.2")


@pytest.fixture
def section_1_3_3(grading: Grading) -> SectionData:
    return grading.section("1.3.3")


@pytest.fixture
def section_1_4(grading: Grading) -> SectionData:
    return grading.section("1.4")
