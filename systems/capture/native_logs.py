"""MediaPipe's C++ runtime logs (glog, TFLite) straight to file descriptor 2, bypassing Python:
dozens of INFO/WARNING lines on every landmarker creation, first frame and close. They mean nothing
to a user of Moviola, so those moments run with fd 2 pointed at /dev/null; MOVIOLA_NATIVE_LOGS=1
keeps them for debugging. Python's own errors are raised as exceptions and printed after the
descriptor is restored, so nothing of ours is hidden."""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager


@contextmanager
def native_logs_silenced():
    if os.environ.get("MOVIOLA_NATIVE_LOGS") == "1":
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no usable fd 2 (embedded interpreters): nothing to silence
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
