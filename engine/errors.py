"""User-facing input errors: one line naming the file and what is wrong.

`main.py` turns these into a single stderr line and exit code 2; nothing else
in the engine prints tracebacks for bad input.
"""

from __future__ import annotations

import os


class InputError(Exception):
    """Bad user input (file missing, malformed, invalid value)."""

    def __init__(self, path: str | os.PathLike | None, message: str):
        self.path = None if path is None else os.fspath(path)
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class AssetError(InputError):
    """An asset file (glTF, GLB, OBJ, image, ...) cannot be loaded."""


class SceneError(InputError):
    """A scene file is invalid; message names the entity and field."""
