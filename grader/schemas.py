"""Validate documents against the JSON Schemas shipped in this package."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import jsonschema


@cache
def _validator(schema_path: Path) -> jsonschema.protocols.Validator:
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def schema_errors(schema_path: Path, document: object) -> list[str]:
    """Every way `document` breaks the schema at `schema_path`, as 'path: message' lines."""
    return [
        f"{'/'.join(str(p) for p in err.absolute_path) or '<root>'}: {err.message}"
        for err in _validator(schema_path).iter_errors(document)
    ]
