"""Write files atomically: a reader (an upload, a browser, `--resume`) sees the old file or the new one."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

__all__ = ["write_json", "write_text"]


def write_text(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file in the same folder, then rename it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, document: object) -> None:
    """Write `document` as indented UTF-8 JSON, atomically."""
    write_text(path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
