"""The closed vocabularies every stage shares: how a check or section ended, who may see a check."""

from __future__ import annotations

from typing import Literal

__all__ = ["STATUSES", "Status", "Visibility"]

Status = Literal["passed", "failed", "error", "timeout", "not_run"]
STATUSES: tuple[Status, ...] = ("passed", "failed", "error", "timeout", "not_run")
Visibility = Literal["visible", "hidden"]
