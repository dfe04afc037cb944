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


def gl_flush() -> None:
    """glFlush on the current context: queued commands start executing without waiting
    for them. moderngl exposes only finish(), which blocks. On llvmpipe this lets the
    rasterizer threads work on the scene while the CPU particle splat sorts particles."""
    function = _flush_function()
    if function is not None:
        function()


_FLUSH: list = []


def _flush_function():
    if not _FLUSH:
        import ctypes
        import ctypes.util

        function = None
        for name in ("OpenGL", "GL"):  # GLVND dispatches to whichever context is current
            path = ctypes.util.find_library(name)
            if path:
                try:
                    function = ctypes.CDLL(path).glFlush
                    break
                except (OSError, AttributeError):
                    continue
        _FLUSH.append(function)
    return _FLUSH[0]
