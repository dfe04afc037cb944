"""`main.py bench render`: the demo scene, and 10,000 instances of one mesh, headless."""

from __future__ import annotations

import time

import numpy as np

from components.camera import Camera
from components.light import AmbientLight, DirectionalLight
from components.model import ModelInstance
from components.motion import LookAt
from components.transform import GlobalTransform, Transform
from engine.app import App
from engine.assets.library import AssetLibrary
from engine.assets.model import Material
from engine.assets.shapes import shape_asset
from engine.cli.scene_session import HeadlessOutput, build_scene_app, new_scene_app
from engine.math_kernels import quat_from_euler_degrees
from systems.animation.pose_pool import PosePool

SIZE = (1280, 720)


def _time_frames(app: App, headless: HeadlessOutput, times) -> float:
    """Median wall time of whole frames (ECS update + GL work finished), after two warm-up frames."""
    for t in times[:2]:
        app.update_to(float(t))
        headless.ctx.finish()
    samples = []
    for t in times[2:]:
        start = time.perf_counter()
        app.update_to(float(t))
        headless.ctx.finish()
        samples.append(time.perf_counter() - start)
    return float(np.median(samples) * 1000.0)


def build_stress_app(count: int) -> App:
    """`count` boxes sharing one mesh and material, on a grid, with a sun and a camera."""
    app = new_scene_app(SIZE)
    world = app.world
    library = world.resource(AssetLibrary)
    handle = library.add(shape_asset("box", Material(name="crate", base_color=np.array([0.7, 0.5, 0.3, 1], np.float32),
                                                     metallic=0.0, roughness=0.7), size=(0.4, 0.4, 0.4)))
    side = int(np.ceil(np.sqrt(count)))
    grid = np.stack(np.meshgrid(np.arange(side), np.arange(side), indexing="ij"), -1).reshape(-1, 2)[:count]
    translation = np.zeros((count, 3), np.float32)
    translation[:, 0] = (grid[:, 0] - side / 2) * 0.8
    translation[:, 2] = (grid[:, 1] - side / 2) * 0.8
    translation[:, 1] = 0.2
    pool = world.resource(PosePool)
    offsets = np.array([pool.allocate(library[handle])[0] for _ in range(count)], np.int32)
    world.spawn_batch(count, [Transform, GlobalTransform, ModelInstance],
                      **{"Transform.translation": translation, "ModelInstance.model": np.full(count, handle, np.int32),
                         "ModelInstance.pose_offset": offsets})
    world.spawn(Transform(translation=(side * 0.5, side * 0.35, side * 0.6)), GlobalTransform(),
                Camera(focal_length_mm=28.0, far=1000.0), LookAt(point=(0.0, 0.0, 0.0)))
    world.spawn(Transform(rotation=quat_from_euler_degrees((-50, 30, 0))), GlobalTransform(), DirectionalLight())
    world.spawn(Transform(), GlobalTransform(), AmbientLight())
    return app


def bench_render(demo_scene: str = "scenes/demo.toml", stress_entities: int = 10_000, frames: int = 12) -> dict:
    # baseline, same run: a frame with nothing but sky, ground and post-processing
    empty = build_stress_app(0)
    headless = HeadlessOutput.attach(empty, SIZE)
    empty_ms = _time_frames(empty, headless, np.linspace(0.0, 1.0, frames))
    headless.release()

    app, info = build_scene_app(demo_scene, SIZE)
    headless = HeadlessOutput.attach(app, SIZE)
    demo_ms = _time_frames(app, headless, np.linspace(1.0, min(info.duration, 6.0), frames))
    headless.release()

    stress = build_stress_app(stress_entities)
    headless = HeadlessOutput.attach(stress, SIZE)
    stress_ms = _time_frames(stress, headless, np.linspace(0.0, 1.0, frames))
    stats = headless.output.renderer.stats
    result = {"demo_frame_ms": round(demo_ms, 2), "stress_entities": stress_entities,
              "stress_frame_ms": round(stress_ms, 2), "stress_draw_calls": stats.draw_calls,
              "empty_frame_ms": round(empty_ms, 2), "demo_ratio": round(demo_ms / empty_ms, 2),
              "stress_ratio": round(stress_ms / empty_ms, 2), "renderer": headless.ctx.info["GL_RENDERER"]}
    headless.release()
    return result
