"""Live shader editing through the renderer: broken edits never stop frames."""

from __future__ import annotations

import os
import shutil

import numpy as np

from engine.render.offscreen import OffscreenTarget
from engine.render.renderer import Renderer
from engine.render.shader_library import DEFAULT_SHADER_DIR
from tests.test_render_golden import SIZE, sphere_scene


def edit(path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    previous = path.stat().st_mtime
    path.write_text(text.replace(old, new))
    os.utime(path, (previous + 10, previous + 10))  # a distinct mtime even on coarse filesystems


def test_broken_edit_keeps_rendering_and_fixed_edit_swaps_in(gl_ctx, tmp_path):
    shader_dir = tmp_path / "shaders"
    shutil.copytree(DEFAULT_SHADER_DIR, shader_dir)
    renderer = Renderer(gl_ctx, shader_dir)
    target = OffscreenTarget(gl_ctx, SIZE)
    try:
        frame = sphere_scene()

        def render() -> np.ndarray:
            renderer.render(frame, target.framebuffer, SIZE)
            return target.read_rgb()

        before = render()
        mesh_frag = shader_dir / "mesh.frag"
        edit(mesh_frag, "f_color = vec4(shade(s) + emissive, alpha);", "f_color = vec4(shade(s) + emissive, alpha)")
        report = renderer.reload_shaders()
        assert report.errors and "mesh.frag" in report.errors[0] and not report.reloaded
        np.testing.assert_array_equal(render(), before)  # the old program is still drawing

        # A variant never compiled before (vertex colours) cannot build now: skipped, reported once.
        sphere = frame.batches[0].primitive
        sphere.colors = np.ones((sphere.vertex_count, 4), np.float32)
        renderer.release_assets([sphere])
        render()
        assert any("mesh.frag" in error for error in renderer.reload_shaders().errors)
        assert renderer.reload_shaders().errors == []

        edit(
            mesh_frag,
            "f_color = vec4(shade(s) + emissive, alpha)",
            "f_color = vec4(shade(s) * 0.25 + emissive, alpha);",
        )
        report = renderer.reload_shaders()
        assert report.errors == [] and report.reloaded
        darker = render()
        assert darker.mean() < before.mean() - 3  # the edit is live, the skipped variant is back
    finally:
        target.release()
        renderer.release()
