"""Moviola's runtime."""

import os

# OpenMP worker threads (numba's "omp" layer) spin for a while after each parallel kernel by default,
# taking the cores llvmpipe needs next for the scene (measured: ~9 ms a frame with 1M splatted particles
# on 2 cores). Set before numba starts its threads, which is why it lives here; an explicit setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
