"""Shared fixtures. `gl_ctx` is one headless OpenGL context for the whole run
(EGL; Mesa llvmpipe on machines without a GPU), never a mock."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def gl_ctx():
    from engine.render.gl_context import create_headless_context

    try:
        ctx = create_headless_context()
    except Exception as exc:  # no EGL / no GL 3.3 on this machine
        pytest.skip(f"no headless OpenGL 3.3 context: {exc}")
    yield ctx
    ctx.release()


@pytest.fixture(scope="module")
def renderer(gl_ctx):
    from engine.render.renderer import Renderer

    renderer = Renderer(gl_ctx)
    yield renderer
    renderer.release()


@pytest.fixture(scope="module")
def target(gl_ctx, request):
    """An offscreen target of the test module's SIZE."""
    from engine.render.offscreen import OffscreenTarget

    target = OffscreenTarget(gl_ctx, request.module.SIZE)
    yield target
    target.release()
