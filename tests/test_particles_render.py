"""Particles drawn with the scene, on both paths (GL billboards, CPU splat), on the real renderer.

Golden images (tests/golden/particles_{gl,cpu}.png, regenerate with
MOVIOLA_UPDATE_GOLDEN=1 and look at them) show additive sparks and alpha
smoke around a box on the ground. The other tests measure pixels: occlusion,
soft contact, agreement of the two paths, determinism, buffer growth,
extrapolation, stretch and flipbooks.
"""

from __future__ import annotations

import os

import numba
import numpy as np
import pytest
from PIL import Image

from engine.assets.model import GL_CLAMP_TO_EDGE, GL_NEAREST, TextureImage
from engine.render.frame import DrawBatch, ParticleBatch, RenderFrame
from engine.render.passes import particle_splat_pass
from engine.render.passes.particle_pass import is_software_rasterizer
from engine.render.renderer import Renderer
from tests.test_render_golden import (
    GOLDEN_DIR,
    MEAN_TOLERANCE,
    PERCENTILE,
    PERCENTILE_TOLERANCE,
    box,
    camera,
    material,
    translation,
)

SIZE = (256, 160)
PATHS = ["gl", "cpu"]
WARM_SPARK = np.array([[1.0, 0.95, 0.8, 1.0], [1.0, 0.55, 0.15, 0.9], [0.7, 0.12, 0.02, 0.0]], np.float32)


# ----------------------------------------------------------------- scene parts
def particles(positions, velocities=None, *, ages=0.5, lifetimes=1.0, sizes=0.05, seeds=0, **style) -> ParticleBatch:
    count = len(np.asarray(positions).reshape(-1, 3))

    def column(value, dtype, shape=(count,)):
        # Read-only, like the simulation's views of its pool.
        array = np.array(np.broadcast_to(np.asarray(value, dtype), shape))
        array.flags.writeable = False
        return array

    return ParticleBatch(
        positions=column(positions, np.float32, (count, 3)),
        velocities=column(0.0 if velocities is None else velocities, np.float32, (count, 3)),
        ages=column(ages, np.float32),
        lifetimes=column(lifetimes, np.float32),
        sizes=column(sizes, np.float32),
        seeds=column(seeds, np.uint32),
        color_over_life=style.pop("color_over_life", np.ones((2, 4), np.float32)),
        size_over_life=style.pop("size_over_life", np.ones(2, np.float32)),
        **style,
    )


def spark_fountain(count: int = 2400, seed: int = 7) -> ParticleBatch:
    """Sparks thrown up from a point on the box, each on its ballistic arc at its own age."""
    rng = np.random.default_rng(seed)  # PCG64: the same numbers on every platform
    azimuth = rng.uniform(0.0, 2.0 * np.pi, count)
    elevation = np.radians(rng.uniform(55.0, 85.0, count))
    speed = rng.uniform(2.0, 3.2, count)
    launch = speed[:, None] * np.stack(
        [np.cos(elevation) * np.cos(azimuth), np.sin(elevation), np.cos(elevation) * np.sin(azimuth)], axis=1
    )
    lifetimes = rng.uniform(0.5, 0.8, count)
    ages = lifetimes * rng.random(count)
    gravity = np.array([0.0, -9.8, 0.0])
    origin = np.array([0.2, 0.9, -0.4])  # the top of the crate
    positions = origin + launch * ages[:, None] + 0.5 * gravity * ages[:, None] ** 2
    return particles(
        positions,
        launch + gravity * ages[:, None],
        ages=ages,
        lifetimes=lifetimes,
        sizes=rng.uniform(0.012, 0.025, count),
        seeds=rng.integers(0, 2**32, count, dtype=np.uint32),
        color_over_life=WARM_SPARK,
        size_over_life=np.array([1.0, 0.8, 0.5], np.float32),
        emissive=4.0,
        stretch=0.02,
        softness=0.05,
    )


def smoke_column(count: int = 160, seed: int = 11) -> ParticleBatch:
    """Soft grey puffs rising beside the crate, growing and fading over their life."""
    rng = np.random.default_rng(seed)
    life = rng.random(count)
    angle = rng.uniform(0.0, 2.0 * np.pi, count)
    spread = (0.1 + 0.4 * life) * np.sqrt(rng.random(count))
    positions = np.stack([-0.9 + spread * np.cos(angle), 0.1 + 2.0 * life, -0.5 + spread * np.sin(angle)], axis=1)
    return particles(
        positions,
        np.tile([0.0, 0.7, 0.0], (count, 1)),
        ages=life * 3.0,
        lifetimes=3.0,
        sizes=0.5,
        seeds=rng.integers(0, 2**32, count, dtype=np.uint32),
        color_over_life=np.array(
            [[0.42, 0.42, 0.44, 0.0], [0.36, 0.36, 0.38, 0.5], [0.32, 0.32, 0.34, 0.3], [0.3, 0.3, 0.32, 0.0]],
            np.float32,
        ),
        size_over_life=np.array([0.5, 1.0, 1.6], np.float32),
        blend="alpha",
        softness=0.4,
    )


def particle_scene(path: str) -> RenderFrame:
    crate = DrawBatch(
        box(0.45), material("crate", (0.55, 0.42, 0.3), roughness=0.8), [], translation(0.2, 0.45, -0.4)[None]
    )
    return RenderFrame(
        view=camera([0.3, 1.3, 3.6], [-0.25, 1.0, -0.4], SIZE, 50.0),
        batches=[crate],
        particles=[smoke_column(), spark_fountain()],
        particle_path=path,
    )


def render(renderer: Renderer, target, frame: RenderFrame) -> np.ndarray:
    renderer.render(frame, target.framebuffer, SIZE)
    return target.read_rgb()


def bright_centroid_x(image: np.ndarray, background: np.ndarray) -> float:
    gain = np.clip(image.astype(np.float64) - background, 0.0, None).sum(axis=2)
    return float((gain.sum(axis=0) * np.arange(gain.shape[1])).sum() / gain.sum())


# ----------------------------------------------------------------------- tests
@pytest.mark.parametrize("path", PATHS)
def test_golden_sparks_and_smoke(renderer, target, path):
    image = render(renderer, target, particle_scene(path))
    assert renderer.stats.particle_path == {"gl": "gl-billboards", "cpu": "cpu-splat"}[path]
    golden = GOLDEN_DIR / f"particles_{path}.png"
    if os.environ.get("MOVIOLA_UPDATE_GOLDEN") == "1":
        Image.fromarray(image).save(golden)
    assert golden.exists(), f"missing {golden}; run with MOVIOLA_UPDATE_GOLDEN=1 and check the image"
    reference = np.asarray(Image.open(golden).convert("RGB"))
    difference = np.abs(image.astype(np.int16) - reference.astype(np.int16))
    mean, high = float(difference.mean()), float(np.percentile(difference, PERCENTILE))
    assert mean < MEAN_TOLERANCE and high < PERCENTILE_TOLERANCE, f"{path}: mean {mean:.3f}, p{PERCENTILE} {high:.1f}"


def test_both_paths_draw_alike(renderer, target):
    gl, cpu = (render(renderer, target, particle_scene(path)).astype(np.float64) for path in PATHS)
    frame = particle_scene("gl")
    frame.particles = []
    scene = render(renderer, target, frame).astype(np.float64)
    assert np.abs(gl - cpu).mean() < 2.0
    # The particles' own contribution matches too, not just the shared background.
    gl_gain, cpu_gain = (np.abs(image - scene).sum(axis=2) for image in (gl, cpu))
    assert abs(gl_gain.sum() - cpu_gain.sum()) < 0.15 * gl_gain.sum()
    assert np.corrcoef(gl_gain.ravel(), cpu_gain.ravel())[0, 1] > 0.8


@pytest.mark.parametrize("path", PATHS)
def test_draw_calls_do_not_grow_with_particles(renderer, target, path):
    frame = particle_scene(path)
    particles_drawn = frame.particles
    frame.particles = []
    render(renderer, target, frame)
    scene_draws = renderer.stats.draw_calls
    frame.particles = particles_drawn
    render(renderer, target, frame)
    # The depth resolve, then one instanced draw per batch (GL); the CPU splat rides in the tonemap.
    assert renderer.stats.draw_calls == scene_draws + 1 + (len(particles_drawn) if path == "gl" else 0)
    assert renderer.stats.particles == sum(len(batch.positions) for batch in particles_drawn)


@pytest.mark.parametrize("path", PATHS)
def test_particles_behind_geometry_are_hidden(renderer, target, path):
    wall = DrawBatch(box(1.0), material("wall", (0.5, 0.5, 0.5)), [], translation(0.0, 1.0, 0.0)[None])
    frame = RenderFrame(view=camera([0.0, 1.0, 5.0], [0.0, 1.0, 0.0], SIZE), batches=[wall], particle_path=path)
    plain = render(renderer, target, frame).astype(np.int16)
    grid = np.stack(np.meshgrid(np.linspace(-0.5, 0.5, 12), np.linspace(0.6, 1.4, 12)), -1).reshape(-1, 2)

    def cloud(z: float) -> ParticleBatch:
        return particles(np.column_stack([grid, np.full(len(grid), z)]), sizes=0.15, emissive=4.0)

    frame.particles = [cloud(-1.6)]  # behind the wall
    assert np.abs(render(renderer, target, frame).astype(np.int16) - plain).max() <= 1
    frame.particles = [cloud(1.6)]  # in front of it
    assert (np.abs(render(renderer, target, frame).astype(np.int16) - plain).sum(axis=2) > 30).sum() > 200


@pytest.mark.parametrize("path", PATHS)
def test_particles_fade_softly_into_the_ground(renderer, target, path):
    """A big particle half sunk into the floor: with softness its light thins out towards the contact line."""
    frame = RenderFrame(view=camera([0.0, 2.0, 4.0], [0.0, 0.2, 0.0], SIZE), particle_path=path)
    plain = render(renderer, target, frame).astype(np.float64)

    def row_gains(softness: float) -> np.ndarray:
        frame.particles = [particles([[0.0, 0.1, 0.0]], sizes=1.2, softness=softness, emissive=2.0)]
        gain = (render(renderer, target, frame).astype(np.float64) - plain).sum(axis=2).clip(0.0, None)
        return gain.sum(axis=1)

    hard, soft = row_gains(0.001), row_gains(0.6)
    rows = np.flatnonzero(hard > 0)  # top to bottom; the floor hides the rest of the particle
    kept = soft[rows] / hard[rows]
    assert kept[: len(rows) // 3].min() > 0.95  # untouched well above the floor
    assert kept[-3:].max() < 0.4  # faded where it meets the floor
    assert np.all(np.diff(kept) <= 0.01)  # and smoothly in between


@pytest.mark.parametrize("path", PATHS)
def test_same_frame_renders_identical_bytes(renderer, target, path):
    frame = particle_scene(path)
    assert np.array_equal(render(renderer, target, frame), render(renderer, target, frame))


def test_cpu_splat_does_not_depend_on_the_thread_count(renderer, target, monkeypatch):
    monkeypatch.setattr(particle_splat_pass, "PARALLEL_FROM", 1)  # thread even these few particles
    frame = particle_scene("cpu")
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        serial = render(renderer, target, frame)
    finally:
        numba.set_num_threads(threads)
    assert np.array_equal(render(renderer, target, frame), serial)


def test_gl_buffers_grow_to_the_live_range_and_keep_their_names(gl_ctx, renderer, target):
    frame = particle_scene("gl")
    render(renderer, target, frame)
    slot = renderer._particles.billboards.slots[1]  # the sparks' slot
    names = {name: buffer.glo for name, buffer in slot.buffers.items()}
    small = slot.capacity
    frame.particles[1] = spark_fountain(5 * small)
    grown = render(renderer, target, frame)
    assert slot.capacity >= 5 * small and slot.capacity & (slot.capacity - 1) == 0  # doubled
    assert {name: buffer.glo for name, buffer in slot.buffers.items()} == names  # orphaned, not recreated
    fresh = Renderer(gl_ctx)
    try:
        np.testing.assert_array_equal(render(fresh, target, frame), grown)
    finally:
        fresh.release()


@pytest.mark.parametrize("path", PATHS)
def test_extrapolation_moves_particles_along_their_velocity(renderer, target, path):
    frame = RenderFrame(view=camera([0.0, 1.0, 4.0], [0.0, 1.0, 0.0], SIZE), ground=None, particle_path=path)
    background = render(renderer, target, frame).astype(np.float64)
    spark = {"sizes": 0.1, "emissive": 3.0}
    frame.particles = [particles([[0.0, 1.0, 0.0]], [[2.0, 0.0, 0.0]], **spark)]
    still = bright_centroid_x(render(renderer, target, frame), background)
    frame.particles = [particles([[0.0, 1.0, 0.0]], [[2.0, 0.0, 0.0]], extrapolate=0.25, **spark)]
    moved = bright_centroid_x(render(renderer, target, frame), background)
    # 0.5 m to the right at 4 m with a 40 degree vertical field of view.
    expected = 0.5 / (4.0 * np.tan(np.radians(20.0))) * SIZE[1] / 2
    assert moved - still == pytest.approx(expected, rel=0.1)


@pytest.mark.parametrize("path", PATHS)
def test_sparks_stretch_along_their_screen_velocity(renderer, target, path):
    frame = RenderFrame(view=camera([0.0, 1.0, 4.0], [0.0, 1.0, 0.0], SIZE), ground=None, particle_path=path)
    background = render(renderer, target, frame).astype(np.int16)
    frame.particles = [particles([[0.0, 1.0, 0.0]], [[0.0, 6.0, 0.0]], sizes=0.05, emissive=4.0, stretch=0.1)]
    lit = np.argwhere((render(renderer, target, frame).astype(np.int16) - background).sum(axis=2) > 20)
    height, width = np.ptp(lit, axis=0) + 1
    assert height > 4 * width  # 0.6 m of travel against a 5 cm spark


def flipbook_atlas() -> TextureImage:
    """Two cells side by side: red, then green."""
    pixels = np.zeros((8, 16, 4), np.uint8)
    pixels[:, :8] = (255, 0, 0, 255)
    pixels[:, 8:] = (0, 255, 0, 255)
    return TextureImage(
        "flipbook",
        pixels,
        wrap_s=GL_CLAMP_TO_EDGE,
        wrap_t=GL_CLAMP_TO_EDGE,
        min_filter=GL_NEAREST,
        mag_filter=GL_NEAREST,
    )


@pytest.mark.parametrize("path", PATHS)
def test_flipbook_frame_follows_age(renderer, target, path):
    frame = RenderFrame(view=camera([0.0, 1.0, 4.0], [0.0, 1.0, 0.0], SIZE), ground=None, particle_path=path)
    atlas = flipbook_atlas()

    def center_color(age: float) -> np.ndarray:
        frame.particles = [
            particles([[0.0, 1.0, 0.0]], ages=age, sizes=0.6, texture=atlas, flipbook=(2, 1), blend="alpha")
        ]
        return render(renderer, target, frame)[SIZE[1] // 2, SIZE[0] // 2].astype(int)

    early, late = center_color(0.25), center_color(0.75)
    assert early[0] > early[1] + 100 and late[1] > late[0] + 100


def test_auto_picks_the_cpu_splat_on_software_rasterizers(gl_ctx, renderer, target):
    software = is_software_rasterizer(gl_ctx)  # llvmpipe on machines without a GPU
    assert renderer.particle_path_for("auto") == ("cpu" if software else "gl")
    render(renderer, target, particle_scene("auto"))
    assert renderer.stats.particle_path == ("cpu-splat" if software else "gl-billboards")
    with pytest.raises(ValueError, match="particle_path"):
        renderer.particle_path_for("vulkan")


@pytest.mark.parametrize("path", PATHS)
def test_particles_without_msaa_match_the_msaa_render(gl_ctx, renderer, target, path):
    """The FXAA renderer (the window on software rasterizers) resolves single-sample depth."""
    msaa = render(renderer, target, particle_scene(path)).astype(np.float64)
    single_sample = Renderer(gl_ctx, msaa_samples=1)
    try:
        fxaa = render(single_sample, target, particle_scene(path)).astype(np.float64)
    finally:
        single_sample.release()
    assert np.abs(fxaa - msaa).mean() < 2.0


@pytest.mark.parametrize("path", PATHS)
def test_particles_fade_out_near_the_lens(renderer, target, path):
    """A particle drifting through the lens must not fill the frame as one blob."""
    eye = np.array([0.0, 1.0, 3.0])
    frame = RenderFrame(view=camera(eye, [0.0, 1.0, 0.0], SIZE, 50.0), batches=[], particle_path=path)
    empty = render(renderer, target, frame).astype(np.float64)

    def peak(distance: float) -> float:
        """The brightest pixel a white particle this far in front of the lens adds."""
        white = np.ones((2, 4), np.float32)
        frame.particles = [particles([eye - (0.0, 0.0, distance)], sizes=0.02, color_over_life=white, emissive=0.3)]
        return float(np.abs(render(renderer, target, frame) - empty).max())

    assert peak(0.1) == 0.0  # nearer than NEAR_FADE_START: gone
    assert 0.0 < peak(0.3) < peak(0.8)  # fading in
