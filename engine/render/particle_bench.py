"""Particle rendering cost: `bench_particle_render()`.

What is timed: one frame of a simple scene (ground, a box, the sun's shadow
map, 4x MSAA and the tonemap) rendered headless at `size`, from
`Renderer.render` until `ctx.finish()` returns, so the GL work counts. The
same frame is rendered without and with `count` particles, in alternating
pairs after warm-up frames, and `render_ms` is the median over the pairs of
(frame with particles - frame without): everything particles add to a frame
(depth resolve, projection, sort and splat or upload and draws, composite),
on the path "auto" picks for this renderer unless one is forced. Pairs taken
close together keep other load on the machine out of the difference.

The particles are synthetic: a glowing ball of a million sparks 3 m across,
6 m in front of the camera, each 0.6 to 2 cm wide (0.4 to 4 pixels at 720p),
at every stage of its life, in random order as a simulation leaves them.

`python -m engine.render.particle_bench [count] [auto|gl|cpu]` prints the result as JSON.
"""

from __future__ import annotations

import json
import sys
import time

import numba
import numpy as np
import pyrr

from engine.assets.model import Material
from engine.assets.shapes import shape_asset
from engine.render.frame import DrawBatch, ParticleBatch, RenderFrame, ViewParams
from engine.render.gl_context import create_headless_context
from engine.render.offscreen import OffscreenTarget
from engine.render.passes.particle_pass import PATH_NAMES
from engine.render.renderer import Renderer

WARM_UP_FRAMES = 2


def bench_particle_render(
    count: int = 1_000_000, size: tuple[int, int] = (1280, 720), frames: int = 15, particle_path: str = "auto"
) -> dict:
    ctx = create_headless_context()
    renderer = Renderer(ctx)
    target = OffscreenTarget(ctx, size)
    try:
        plain = bench_scene(size)
        with_particles = bench_scene(size)
        with_particles.particles = [particle_ball(count)]
        with_particles.particle_path = particle_path

        def frame_ms(frame: RenderFrame) -> float:
            started = time.perf_counter()
            renderer.render(frame, target.framebuffer, size)
            ctx.finish()
            return (time.perf_counter() - started) * 1000.0

        for _ in range(WARM_UP_FRAMES):  # shader compiles, numba cache loads, buffer growth
            frame_ms(plain)
            frame_ms(with_particles)
        pairs = np.array([(frame_ms(plain), frame_ms(with_particles)) for _ in range(frames)])
        plain_ms, particles_ms = np.median(pairs, axis=0)
        return {
            "render_ms": round(float(np.median(pairs[:, 1] - pairs[:, 0])), 2),
            "path": PATH_NAMES[renderer.particle_path_for(particle_path)],
            "count": count,
            "size": f"{size[0]}x{size[1]}",
            "frame_ms": round(float(particles_ms), 2),
            "baseline_frame_ms": round(float(plain_ms), 2),
            "renderer": ctx.info["GL_RENDERER"],
            "threads": numba.get_num_threads(),
        }
    finally:
        target.release()
        renderer.release()
        ctx.release()


def bench_scene(size: tuple[int, int]) -> RenderFrame:
    eye = np.array([0.0, 1.8, 6.0])
    view = pyrr.matrix44.create_look_at(eye, np.array([0.0, 1.5, 0.0]), np.array([0.0, 1.0, 0.0]), dtype=np.float32)
    projection = pyrr.matrix44.create_perspective_projection(45.0, size[0] / size[1], 0.1, 200.0, dtype=np.float32)
    crate = shape_asset(
        "box",
        Material(name="crate", base_color=np.array([0.6, 0.45, 0.3, 1.0], np.float32), metallic=0.0, roughness=0.7),
        size=(1.0, 1.0, 1.0),
    )
    model = np.eye(4, dtype=np.float32)
    model[3, :3] = (1.6, 0.5, -1.0)
    return RenderFrame(
        view=ViewParams(view=view, projection=projection, position=eye.astype(np.float32), near=0.1, far=200.0),
        batches=[DrawBatch(crate.meshes[0].primitives[0], crate.materials[0], crate.textures, model[None])],
    )


def particle_ball(count: int, seed: int = 1) -> ParticleBatch:
    rng = np.random.default_rng(seed)
    directions = rng.normal(size=(count, 3))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    radii = 1.5 * rng.random(count) ** (1.0 / 3.0)  # uniform in the ball
    lifetimes = rng.uniform(1.0, 2.0, count)
    columns = {
        "positions": (directions * radii[:, None] + (0.0, 1.5, 0.0)).astype(np.float32),
        "velocities": (directions * 0.5).astype(np.float32),
        "ages": (lifetimes * rng.random(count)).astype(np.float32),
        "lifetimes": lifetimes.astype(np.float32),
        "sizes": rng.uniform(0.006, 0.02, count).astype(np.float32),
        "seeds": rng.integers(0, 2**32, count, dtype=np.uint32),
    }
    for column in columns.values():
        column.flags.writeable = False  # as the simulation hands its pool's views over
    return ParticleBatch(
        **columns,
        color_over_life=np.array([[1.0, 0.9, 0.6, 0.0], [1.0, 0.6, 0.2, 0.8], [0.8, 0.2, 0.05, 0.0]], np.float32),
        size_over_life=np.array([0.6, 1.0, 0.8], np.float32),
        blend="additive",
        emissive=0.05,
    )


if __name__ == "__main__":
    arguments = sys.argv[1:]
    result = bench_particle_render(
        count=int(arguments[0]) if arguments else 1_000_000,
        particle_path=arguments[1] if len(arguments) > 1 else "auto",
    )
    print(json.dumps(result))
