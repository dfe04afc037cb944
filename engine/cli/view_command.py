"""`main.py view FILE`: any model, auto-framed with a key light and ground, first clip playing; a capture
recording (BVH, take, Live Link CSV) plays on the project's mannequin (or `--character`)."""

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


CAPTURE_SUFFIXES = (".bvh", ".take", ".csv")
VIEW_CHARACTER = "assets/characters/mannequin_a.glb"


EFFECT_VIEW_SECONDS = 10.0


def build_effect_view_app(effect_path: str, size: tuple[int, int], seed: int = 0) -> tuple[App, float]:
    """A trained effect running on a plane that fills the frame, unlit, at its natural colours."""
    from components.effects import BASE_COLOR, LearnedEffect
    from engine.assets.model import Material
    from engine.assets.shapes import shape_asset
    from systems.effects.library import EffectLibrary

    app = new_scene_app(size)
    world = app.world
    aspect = size[0] / size[1]
    effect = world.resource(EffectLibrary).load(effect_path)
    material = Material(name="effect", base_color=np.ones(4, np.float32), metallic=0.0, roughness=1.0, unlit=True)
    library = world.resource(AssetLibrary)
    plane = library.add(shape_asset("plane", material, size=(2.0 * aspect, 2.0)), key="<effect view plane>")
    tiles = 2.0  # the pattern repeats twice across the height: shows that it tiles
    instance = spawn_model(world, plane, Transform(rotation=quat_from_euler_degrees((90, 0, 0))), cast_shadows=False)
    world.insert(instance, LearnedEffect(effect=effect, channel=BASE_COLOR, size=128, seed=seed, scale=tiles,
                                         speed=30.0, warmup=32))
    fov = vertical_fov(VIEW_FOCAL_MM, 36.0, 24.0, aspect)
    distance = 1.0 / math.tan(fov / 2)
    world.spawn(Transform(translation=np.array([0.0, 0.0, distance])), GlobalTransform(),
                Camera(focal_length_mm=VIEW_FOCAL_MM, near=distance / 10, far=distance * 10))
    environment = world.resource(Environment)
    environment.ground = None
    app.clock.duration = EFFECT_VIEW_SECONDS
    return app, EFFECT_VIEW_SECONDS


def build_view_app(asset_path: str, clip_name: str | None, size: tuple[int, int],
                   character: str | None = None) -> tuple[App, float]:
    """An app showing the asset; returns it with the clip duration (0 when static)."""
    if not Path(asset_path).exists():
        raise InputError(asset_path, "file not found")
    if Path(asset_path).suffix.lower() == ".pt":
        return build_effect_view_app(asset_path, size)
    app = new_scene_app(size)
    world = app.world
    settings = world.resource(RenderSettings)
    library = world.resource(AssetLibrary)
    recording = Path(asset_path).suffix.lower() in CAPTURE_SUFFIXES
    model_path = (character or VIEW_CHARACTER) if recording else asset_path
    if not Path(model_path).exists():
        raise InputError(model_path, "file not found")
    handle = library.load(model_path)
    model = library[handle]
    if recording:
        from systems.capture.bind import BindParts, performance_clip
        from systems.capture.performance import load_performance

        performance = load_performance(asset_path)
        clip = library.add_clip(handle, performance_clip(performance, model.asset, Path(asset_path).name, BindParts()))
    else:
        clip = model.clip_index(clip_name)
        if clip_name is not None and clip is None:
            names = ", ".join(c.name or f"#{i}" for i, c in enumerate(model.asset.animations)) or "none"
            raise InputError(asset_path, f"no animation clip named {clip_name!r} (clips: {names})")
    spawn_model(world, handle, Transform(), clip=clip)
    duration = model.asset.animations[clip].duration if clip is not None else 0.0

    low, high = model.bounds_min, model.bounds_max
    if recording:  # frame the whole performance, wherever its root motion takes the character
        low, high = _travel_bounds(model, model.asset.animations[clip], low, high)
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


def _travel_bounds(model, clip, low, high):
    travel = [channel.values for channel in clip.channels if channel.path == "translation"]
    if not travel:
        return low, high
    hips = travel[0]
    offset = hips - model.rest_translation[clip.channels[0].node]
    return low + np.minimum(offset.min(axis=0), 0), high + np.maximum(offset.max(axis=0), 0)


def run(args) -> int:
    from engine.cli.render_command import frame_count, has_display, render_app_to
    from engine.cli.scene_session import frame_times

    app, duration = build_view_app(args.asset, args.clip, args.size, getattr(args, "character", None))
    fps = args.fps or 24.0
    if args.out:
        times = frame_times(args.start, fps, frame_count(args, duration or 2.0, fps))
        render_app_to(app, args.size, args.out, times, fps, Path(args.asset).name)
        return 0
    if not has_display():
        raise InputError(args.asset, "no display for a window: pass --out PATH to render instead")
    from engine.cli.play_command import play_app

    return play_app(app, args.size, title=f"Moviola view: {Path(args.asset).name}", quit_after=args.quit_after)
