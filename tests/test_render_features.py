"""Renderer behaviour checked by measuring pixels rather than by reference images."""

from __future__ import annotations

import numpy as np
import pytest

from engine.assets.model import GL_NEAREST, Material, Mesh, ModelAsset, Primitive, TextureImage
from engine.render.frame import DrawBatch, RenderFrame
from engine.render.offscreen import OffscreenTarget
from engine.render.renderer import Renderer
from tests.test_render_golden import SIZE, camera, sphere_scene, translation

WIDTH, HEIGHT = SIZE


def render(renderer, target, frame) -> np.ndarray:
    renderer.render(frame, target.framebuffer, target.size)
    return target.read_rgb().astype(np.int16)


def screen_quad(half: float = 1.0) -> Primitive:
    """A square facing +Z with glTF UVs (v down)."""
    positions = np.array([[-half, -half, 0], [half, -half, 0], [half, half, 0], [-half, half, 0]], np.float32)
    return Primitive(
        positions=positions,
        indices=np.array([0, 1, 2, 0, 2, 3], np.uint32),
        normals=np.tile(np.array([0, 0, 1], np.float32), (4, 1)),
        uv0=np.array([[0, 1], [1, 1], [1, 0], [0, 0]], np.float32),
    )


def solid_texture(rgba, srgb: bool = True) -> TextureImage:
    pixels = np.tile(np.array(rgba, np.uint8), (4, 4, 1))
    return TextureImage("solid", pixels, srgb=srgb, min_filter=GL_NEAREST, mag_filter=GL_NEAREST)


def quad_frame(quad: Primitive, material: Material, textures: list[TextureImage]) -> RenderFrame:
    frame = RenderFrame(
        view=camera([0.0, 0.0, 3.0], [0.0, 0.0, 0.0]),
        batches=[DrawBatch(quad, material, textures, translation(0.0, 0.0, 0.0)[None])],
        ground=None,
    )
    frame.lights.sun_shadows = False
    return frame


def center_pixel(image: np.ndarray) -> np.ndarray:
    return image[HEIGHT // 2, WIDTH // 2]


def test_sun_shadow_darkens_the_ground_under_the_sphere(renderer, target):
    frame = sphere_scene()
    shadowed = render(renderer, target, frame)
    frame.lights.sun_shadows = False
    unshadowed = render(renderer, target, frame)
    darkening = (unshadowed - shadowed).sum(axis=2)
    assert (darkening > 60).sum() > 300  # a solid shadow on the floor
    assert (darkening >= -1).all()  # and light is only ever removed


def test_point_light_brightens_the_floor_within_its_range(renderer, target):
    frame = RenderFrame(view=camera([0.0, 4.0, 6.0], [0.0, 0.0, 0.0]))
    dark = render(renderer, target, frame)
    frame.lights.point_positions = np.array([[0.0, 0.5, 0.0]], np.float32)
    frame.lights.point_colors = np.array([[1.0, 0.5, 0.2]], np.float32)
    frame.lights.point_intensities = np.array([8.0], np.float32)
    frame.lights.point_ranges = np.array([3.0], np.float32)
    lit = render(renderer, target, frame)
    gain = (lit - dark).sum(axis=2)
    assert gain[HEIGHT // 2 + 10, WIDTH // 2] > 40  # the floor just below the light
    assert (gain[:, :10] == 0).all()  # far to the side, outside the range: untouched
    assert (lit[..., 0] >= dark[..., 0]).all()


def test_srgb_textures_are_decoded_before_lighting(renderer, target):
    quad = screen_quad()
    unlit = Material(name="unlit", base_color_texture=0, unlit=True)
    as_srgb = center_pixel(
        render(renderer, target, quad_frame(quad, unlit, [solid_texture((128, 128, 128, 255), srgb=True)]))
    )
    as_linear = center_pixel(
        render(renderer, target, quad_frame(quad, unlit, [solid_texture((128, 128, 128, 255), srgb=False)]))
    )
    assert (as_linear - as_srgb).min() > 30  # sRGB 0.5 is linear 0.21: much darker


def test_alpha_mask_cuts_out_and_blend_mixes(renderer, target):
    quad = screen_quad()
    background = center_pixel(
        render(renderer, target, quad_frame(quad, Material(base_color=np.zeros(4, np.float32), alpha_mode="BLEND"), []))
    )
    red = np.array([1.0, 0.0, 0.0, 1.0], np.float32)
    opaque = center_pixel(render(renderer, target, quad_frame(quad, Material(base_color=red, unlit=True), [])))
    masked = Material(base_color=red, unlit=True, alpha_mode="MASK", alpha_cutoff=0.5, base_color_texture=0)
    cut = center_pixel(render(renderer, target, quad_frame(quad, masked, [solid_texture((255, 255, 255, 60))])))
    kept = center_pixel(render(renderer, target, quad_frame(quad, masked, [solid_texture((255, 255, 255, 200))])))
    half = Material(base_color=np.array([1.0, 0.0, 0.0, 0.5], np.float32), unlit=True, alpha_mode="BLEND")
    mixed = center_pixel(render(renderer, target, quad_frame(quad, half, [])))
    assert np.abs(cut - background).max() <= 1
    assert np.abs(kept - opaque).max() <= 1
    assert background[0] < mixed[0] < opaque[0] and mixed[2] < background[2]


@pytest.mark.parametrize("with_tangents", [True, False])
def test_normal_map_green_tilts_towards_the_top_of_the_image(renderer, target, with_tangents):
    """glTF convention: +X right, +Y towards the image top. The vertex-tangent
    path and the derivative-frame fallback must agree."""
    quad = screen_quad()
    if with_tangents:
        quad.tangents = np.tile(np.array([1, 0, 0, 1], np.float32), (4, 1))
    normal_mapped = Material(
        base_color=np.array([0.8, 0.8, 0.8, 1.0], np.float32), metallic=0.0, roughness=1.0, normal_texture=0
    )

    def brightness(tilt_rgb) -> float:
        frame = quad_frame(quad, normal_mapped, [solid_texture((*tilt_rgb, 255), srgb=False)])
        frame.lights.sun_direction = np.array([0.0, -1.0, -0.3], np.float32)  # from above, in front
        frame.lights.ambient_intensity = 0.0
        return float(center_pixel(render(renderer, target, frame)).mean())

    flat, up, down = brightness((128, 128, 255)), brightness((128, 230, 200)), brightness((128, 26, 200))
    right, left = brightness((230, 128, 200)), brightness((26, 128, 200))
    assert up > flat + 10 > down + 20  # tilted towards the sun above, or away from it
    assert abs(right - left) < 3  # sideways tilts are symmetric to this light


def test_overlay_text_only_touches_the_top_left(renderer, target):
    frame = sphere_scene()
    plain = render(renderer, target, frame)
    frame.overlay_lines = ["00:00:01:05", "shot_010"]
    with_text = render(renderer, target, frame)
    changed = np.argwhere(np.abs(with_text - plain).sum(axis=2) > 0)
    assert len(changed) > 50
    assert changed[:, 0].max() < 50 and changed[:, 1].max() < WIDTH // 2


def test_fxaa_fallback_matches_msaa_closely(gl_ctx, renderer, target):
    msaa = render(renderer, target, sphere_scene())
    fxaa_renderer = Renderer(gl_ctx, msaa_samples=1)
    try:
        assert fxaa_renderer.samples == 1
        fxaa = render(fxaa_renderer, target, sphere_scene())
    finally:
        fxaa_renderer.release()
    assert np.abs(fxaa - msaa).mean() < 2.0


def test_viewport_size_can_change_between_frames(gl_ctx, renderer, target):
    small = OffscreenTarget(gl_ctx, (96, 60))
    try:
        frame = sphere_scene()
        frame.view = camera([2.6, 1.8, 3.6], [0.0, 0.6, 0.0], small.size)
        image = render(renderer, small, frame)
    finally:
        small.release()
    assert image.shape == (60, 96, 3)
    blueness = image[..., 2] - image[..., 0]
    assert blueness[0].mean() > blueness[-1].mean() + 5  # blue sky on top, grey floor below
    assert render(renderer, target, sphere_scene()).shape == (HEIGHT, WIDTH, 3)


def test_released_assets_are_uploaded_again_when_drawn(renderer, target):
    frame = sphere_scene()
    before = render(renderer, target, frame)
    primitive = frame.batches[0].primitive
    renderer.release_model(ModelAsset(path="sphere.glb", meshes=[Mesh("sphere", [primitive])]))
    np.testing.assert_array_equal(render(renderer, target, frame), before)
