"""Instancing: draw calls stay flat in the instance count; culling drops unseen instances."""

from __future__ import annotations

import numpy as np

from engine.render.frame import DrawBatch, RenderFrame
from engine.render.renderer import Renderer
from tests.test_render_golden import box, camera, cylinder, material, translation, two_bone_palettes

SIZE = (128, 80)


def grid_of_matrices(count: int, spacing: float) -> np.ndarray:
    side = int(np.ceil(np.sqrt(count)))
    index = np.arange(count)
    models = np.tile(np.eye(4, dtype=np.float32), (count, 1, 1))
    models[:, 3, 0] = (index % side - side / 2) * spacing
    models[:, 3, 1] = 0.25
    models[:, 3, 2] = -(index // side) * spacing
    return models


def test_ten_thousand_instances_cost_at_most_ten_draw_calls(renderer, target):
    cube = box(0.25)
    tints = np.random.default_rng(7).uniform(0.2, 1.0, (10_000, 4)).astype(np.float32)
    frame = RenderFrame(
        view=camera([0.0, 8.0, 12.0], [0.0, 0.0, -30.0], SIZE, 60.0),
        batches=[DrawBatch(cube, material("crate", (0.7, 0.6, 0.5)), [], grid_of_matrices(10_000, 0.8), tints=tints)],
        overlay_lines=["10000 instances"],
    )
    renderer.render(frame, target.framebuffer, SIZE)
    stats = renderer.stats
    assert stats.instances == 10_000
    assert stats.draw_calls <= 10, stats
    image = target.read_rgb()
    assert image[SIZE[1] // 2 :].std() > 10  # the crowd is actually there


def test_skinned_and_morphed_instances_are_one_draw_per_pass(renderer, target):
    count = 2_000
    tube = cylinder(0.1, 1.0, rings=4, segments=8)
    tube.joints = np.tile(np.array([0, 1, 0, 0], np.uint16), (tube.vertex_count, 1))
    upper = (tube.positions[:, 1] > 0.5).astype(np.float32)
    tube.weights = np.stack([1 - upper, upper, 0 * upper, 0 * upper], axis=1)
    palettes = np.repeat(two_bone_palettes(30.0)[None], count, axis=0)
    cube = box(0.2)
    cube.morph_positions = cube.positions[None] * 0.5
    weights = np.linspace(0.0, 1.0, count, dtype=np.float32)[:, None]
    frame = RenderFrame(
        view=camera([0.0, 6.0, 10.0], [0.0, 0.0, -20.0], SIZE, 60.0),
        batches=[
            DrawBatch(
                tube, material("tube", (0.3, 0.5, 0.8)), [], grid_of_matrices(count, 0.9), joint_palettes=palettes
            ),
            DrawBatch(
                cube,
                material("cube", (0.8, 0.5, 0.3)),
                [],
                grid_of_matrices(count, 0.9) @ translation(0.4, 0, 0),
                morph_weights=weights,
            ),
        ],
    )
    renderer.render(frame, target.framebuffer, SIZE)
    # sky + ground + tonemap, and per batch one shadow and one colour draw.
    assert renderer.stats.draw_calls == 3 + 2 * 2


def test_instances_outside_the_view_are_culled(renderer, target):
    cube = box(0.5)
    models = np.stack([translation(0.0, 0.5, 0.0), translation(0.0, 0.5, 40.0)])  # the second is behind the camera
    frame = RenderFrame(
        view=camera([0.0, 2.0, 6.0], [0.0, 0.5, 0.0], SIZE),
        batches=[DrawBatch(cube, material("c", (1, 1, 1)), [], models)],
    )
    frame.lights.sun_shadows = False
    renderer.render(frame, target.framebuffer, SIZE)
    ground_triangles = 2
    assert renderer.stats.triangles == ground_triangles + 12  # one cube of two


def test_instance_storage_grows_without_breaking_vertex_arrays(gl_ctx, renderer, target):
    """A batch that starts small and grows (orphaned buffers, a larger palette
    texture) must look exactly like the same frame on a fresh renderer."""
    tube = cylinder(0.1, 1.0, rings=4, segments=8)
    tube.joints = np.tile(np.array([0, 1, 0, 0], np.uint16), (tube.vertex_count, 1))
    upper = (tube.positions[:, 1] > 0.5).astype(np.float32)
    tube.weights = np.stack([1 - upper, upper, 0 * upper, 0 * upper], axis=1)
    tube_material = material("tube", (0.3, 0.5, 0.8))
    view = camera([0.0, 6.0, 10.0], [0.0, 0.0, -20.0], SIZE, 60.0)

    def frame(count: int) -> RenderFrame:
        bends = np.linspace(0.0, 90.0, count)
        palettes = np.stack([two_bone_palettes(float(b)) for b in bends])
        return RenderFrame(
            view=view,
            batches=[DrawBatch(tube, tube_material, [], grid_of_matrices(count, 0.5), joint_palettes=palettes)],
        )

    renderer.render(frame(3), target.framebuffer, SIZE)
    renderer.render(frame(5_000), target.framebuffer, SIZE)
    grown = target.read_rgb()
    fresh = Renderer(gl_ctx)
    try:
        fresh.render(frame(5_000), target.framebuffer, SIZE)
        np.testing.assert_array_equal(grown, target.read_rgb())
    finally:
        fresh.release()
