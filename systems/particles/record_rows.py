"""A growable structured array whose first `count` rows are in use: per-frame kernel input built from entities."""

from __future__ import annotations

import numpy as np


class RecordRows:
    dtype: np.dtype

    def __init__(self):
        self.rows = np.zeros(4, self.dtype)
        self.count = 0

    def resize(self, count: int) -> np.ndarray:
        """The first `count` rows (contents undefined until written); storage grows, never shrinks."""
        if count > len(self.rows):
            self.rows = np.zeros(max(count, 2 * len(self.rows)), self.dtype)
        self.count = count
        return self.rows[:count]
