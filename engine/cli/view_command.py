"""`main.py view ASSET`: any model, auto-framed with a key light and ground, first clip playing."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from components.camera import Camera, vertical_fov
from components.light import AmbientLight, DirectionalLight
from components.motion import LookAt
from components.transform import GlobalTransform, Transform
from engine.app import App
from engine.assets.library import AssetLibrary
from engine.cli.scene_session import new_scene_app
from engine.errors import InputError
from engine.math_kernels import quat_from_euler_degrees
from systems.animation.spawn_model import spawn_model
from systems.rendering.view_settings import Environment, RenderSettings

VIEW_FOCAL_MM = 50.0


def build_view_app(asset_path: str, clip_name: str | None, size: tuple[int, int]) -> tuple[App, float]:
    """An app showing the asset; returns it with the clip duration (0 when static)."""
    if not Path(asset_path).exists():
        raise InputError(asset_path, "file not found")
    app = new_scene_app(size)
    world = app.world
    settings = world.resource(RenderSettings)
    library = world.resource(AssetLibrary)
    handle = library.load(asset_path)
    model = library[handle]
    clip = model.clip_index(clip_name)
    if clip_name is not None and clip is None:
        names = ", ".join(c.name or f"#{i}" for i, c in enumerate(model.asset.animations)) or "none"
        raise InputError(asset_path, f"no animation clip named {clip_name!r} (clips: {names})")
    spawn_model(world, handle, Transform(), clip=clip)
    duration = model.asset.animations[clip].duration if clip is not None else 0.0

    low, high = model.bounds_min, model.bounds_max
    center = (low + high) / 2
    radius = max(float(np.linalg.norm(high - low)) / 2, 1e-3)
    fov = vertical_fov(VIEW_FOCAL_MM, 36.0, 24.0, settings.aspect)
    distance = radius / math.sin(min(fov, fov * settings.aspect) / 2) * 1.1
    direction = np.array([0.45, 0.35, 1.0])
    eye = center + direction / np.linalg.norm(direction) * distance
    world.spawn(Transform(translation=eye), GlobalTransform(),
                Camera(focal_length_mm=VIEW_FOCAL_MM, near=distance / 100, far=distance * 20), LookAt(point=center))
    world.spawn(Transform(rotation=quat_from_euler_degrees((-45, 35, 0))), GlobalTransform(), DirectionalLight())
    world.spawn(Transform(), GlobalTransform(), AmbientLight())
    environment = world.resource(Environment)
    if environment.ground is not None:
        # a hair below the model, so flat models lying on it are not covered by the grid
        environment.ground.height = float(low[1]) - 1e-3 * radius
        environment.ground.grid_spacing = float(10 ** math.floor(math.log10(max(radius, 1e-3))))
    app.clock.duration = duration
    return app, duration


def run(args) -> int:
    from engine.cli.render_command import frame_count, has_display, render_app_to
    from engine.cli.scene_session import frame_times

    app, duration = build_view_app(args.asset, args.clip, args.size)
    fps = args.fps or 24.0
    if args.out:
        times = frame_times(args.start, fps, frame_count(args, duration or 2.0, fps))
        render_app_to(app, args.size, args.out, times, fps, Path(args.asset).name)
        return 0
    if not has_display():
        raise InputError(args.asset, "no display for a window: pass --out PATH to render instead")
    from engine.cli.play_command import play_app

    return play_app(app, args.size, title=f"Moviola view: {Path(args.asset).name}", quit_after=args.quit_after)
