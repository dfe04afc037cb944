"""ParticleBursts: every emitter's bursts (count at scene time) in two flat columns; an emitter holds its range."""

from __future__ import annotations

import numpy as np


class ParticleBursts:
    def __init__(self):
        self.times = np.zeros(0, np.float64)
        self.counts = np.zeros(0, np.int64)

    def add(self, bursts) -> tuple[int, int]:
        """Append [(time, count), ...]; returns (first, count) for the emitter."""
        first = len(self.times)
        self.times = np.concatenate([self.times, np.array([b[0] for b in bursts], np.float64)])
        self.counts = np.concatenate([self.counts, np.array([b[1] for b in bursts], np.int64)])
        return first, len(bursts)
