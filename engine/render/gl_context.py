"""OpenGL context creation, kept apart from rendering.

The renderer accepts any moderngl context: a window's (see `window.py`) or a
headless one from here. Headless uses EGL, which needs no display server and
runs on Mesa llvmpipe when there is no GPU.
"""

from __future__ import annotations

import moderngl

REQUIRED_GL_VERSION = 330


def create_headless_context() -> moderngl.Context:
    """A standalone OpenGL 3.3+ core context with no window (EGL)."""
    return moderngl.create_standalone_context(backend="egl", require=REQUIRED_GL_VERSION)
