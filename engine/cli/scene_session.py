"""Building a runnable app from a scene or an asset, and rendering it headless."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.app import App
from engine.errors import InputError
from engine.scene_file import SceneInfo, load_scene
from systems.capture.plugin import capture_plugin
from systems.effects.plugin import effects_plugin
from systems.particles.plugin import particles_plugin
from systems.rendering.plugin import scene_plugin
from systems.rendering.view_settings import EntityNames, RenderSettings


def new_scene_app(size: tuple[int, int]) -> App:
    """An app with the scene plugins, rendering at `size`."""
    app = App()
    app.add_plugin(scene_plugin)
    app.add_plugin(particles_plugin)
    app.add_plugin(capture_plugin)
    app.add_plugin(effects_plugin)
    settings = app.world.resource(RenderSettings)
    settings.width, settings.height = size
    return app


def build_scene_app(scene_path: str | Path, size: tuple[int, int], particle_path: str = "auto") -> tuple[App, SceneInfo]:
    app = new_scene_app(size)
    app.world.resource(RenderSettings).particle_path = particle_path
    try:
        info = load_scene(app, scene_path)
    except BaseException:
        app.close()  # a live capture opened before a later error
        raise
    app.clock.duration = info.duration
    return app, info


def choose_camera(app: App, name: str | None, source: str) -> None:
    """Point the render at a named camera instead of the timeline's shots."""
    if name is None:
        return
    from components.camera import Camera

    names = app.world.resource(EntityNames).by_name
    cameras = sorted(n for n, e in names.items() if app.world.has(e, Camera))
    entity = names.get(name)
    if entity is None or not app.world.has(entity, Camera):
        raise InputError(source, f"no camera named '{name}' (cameras: {', '.join(cameras) or 'none'})")
    app.world.resource(RenderSettings).camera_override = entity


@dataclass
class HeadlessOutput:
    """A headless GL context, renderer and offscreen target, registered as the app's render output."""

    ctx: object
    target: object
    output: object

    @classmethod
    def attach(cls, app: App, size: tuple[int, int]) -> "HeadlessOutput":
        from engine.render.gl_context import create_headless_context
        from engine.render.offscreen import OffscreenTarget
        from engine.render.renderer import Renderer
        from systems.rendering.draw_frame import RenderOutput, render_output_plugin

        ctx = create_headless_context()
        target = OffscreenTarget(ctx, size)
        output = RenderOutput(Renderer(ctx), target.framebuffer, size)
        app.add_plugin(render_output_plugin(output))
        return cls(ctx, target, output)

    def frame_at(self, app: App, time: float) -> np.ndarray:
        app.update_to(time)
        return self.target.read_rgb()

    def release(self) -> None:
        self.output.renderer.release()
        self.target.release()
        self.ctx.release()


def frame_times(start: float, fps: float, count: int) -> np.ndarray:
    """Exact frame times (computed from the index, so long renders do not drift)."""
    return start + np.arange(count, dtype=np.float64) / fps
