"""Golden-image tests: small scenes built in code, rendered headless with the
real GL driver and compared with tests/golden/*.png.

Regenerate the references with MOVIOLA_UPDATE_GOLDEN=1 (then look at them).
The tolerance absorbs rasteriser/driver rounding (other Mesa versions, CPU
vector widths), not visible changes: the mean difference must stay under
0.75 levels of 255 and 99.5% of channel values within 16 levels. A moved
object, a changed light or a missing shadow fails it; pixel-level claims
(shadows darken, normal maps tilt the right way) live in test_render_features.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyrr
import pytest
from PIL import Image

from engine.assets.model import Material, Primitive
from engine.render.frame import DrawBatch, GroundParams, LightParams, RenderFrame, ViewParams
from engine.render.offscreen import OffscreenTarget
from engine.render.renderer import Renderer

GOLDEN_DIR = Path(__file__).parent / "golden"
SIZE = (256, 160)
MEAN_TOLERANCE = 0.75
PERCENTILE = 99.5
PERCENTILE_TOLERANCE = 16


# ----------------------------------------------------------------- scene parts
def camera(eye, target, size=SIZE, fov_degrees=40.0) -> ViewParams:
    eye = np.asarray(eye, np.float64)
    view = pyrr.matrix44.create_look_at(
        eye, np.asarray(target, np.float64), np.array([0.0, 1.0, 0.0]), dtype=np.float32
    )
    projection = pyrr.matrix44.create_perspective_projection(
        fov_degrees, size[0] / size[1], 0.1, 200.0, dtype=np.float32
    )
    return ViewParams(view=view, projection=projection, position=eye.astype(np.float32), near=0.1, far=200.0)


def translation(x: float, y: float, z: float) -> np.ndarray:
    matrix = np.eye(4, dtype=np.float32)
    matrix[3, :3] = (x, y, z)
    return matrix


def rotation_z(degrees: float) -> np.ndarray:
    return pyrr.matrix44.create_from_z_rotation(-np.radians(degrees), dtype=np.float32)


def uv_sphere(radius: float, rings: int = 24, segments: int = 48) -> Primitive:
    theta = np.linspace(0.0, np.pi, rings + 1)[:, None]
    phi = np.linspace(0.0, 2.0 * np.pi, segments + 1)[None, :]
    normals = np.stack(
        np.broadcast_arrays(np.sin(theta) * np.cos(phi), np.cos(theta), -np.sin(theta) * np.sin(phi)), axis=-1
    ).reshape(-1, 3)
    uv = np.stack(np.broadcast_arrays(phi / (2.0 * np.pi), theta / np.pi), axis=-1).reshape(-1, 2)
    return Primitive(
        positions=(normals * radius).astype(np.float32),
        indices=_grid_indices(rings, segments),
        normals=normals.astype(np.float32),
        uv0=uv.astype(np.float32),
    )


def cylinder(radius: float, height: float, rings: int = 16, segments: int = 24) -> Primitive:
    """Open tube along +Y from 0 to `height` (rows run top to bottom, like the sphere's)."""
    y = np.linspace(height, 0.0, rings + 1)[:, None]
    phi = np.linspace(0.0, 2.0 * np.pi, segments + 1)[None, :]
    x, y, z = np.broadcast_arrays(np.cos(phi), y, -np.sin(phi))
    normals = np.stack([x, np.zeros_like(x), z], axis=-1).reshape(-1, 3)
    positions = np.stack([x * radius, y, z * radius], axis=-1).reshape(-1, 3)
    return Primitive(
        positions=positions.astype(np.float32),
        indices=_grid_indices(rings, segments),
        normals=normals.astype(np.float32),
    )


def _grid_indices(rows: int, columns: int) -> np.ndarray:
    """Two counter-clockwise triangles per cell of a (rows+1) x (columns+1) vertex grid."""
    a = (np.arange(rows)[:, None] * (columns + 1) + np.arange(columns)[None, :]).ravel()
    b = a + columns + 1
    return np.stack([a, b, a + 1, a + 1, b, b + 1], axis=-1).astype(np.uint32).ravel()


def box(half: float) -> Primitive:
    """Cube with flat-shaded faces (4 vertices each)."""
    faces = []
    for axis in range(3):
        for sign in (1.0, -1.0):
            normal = np.zeros(3)
            normal[axis] = sign
            u = np.roll(normal, 1) if sign > 0 else -np.roll(normal, 1)
            v = np.cross(normal, u)
            corners = [normal + u * a + v * b for a, b in ((-1, -1), (1, -1), (1, 1), (-1, 1))]
            faces.append((np.array(corners) * half, normal))
    positions = np.concatenate([c for c, _ in faces]).astype(np.float32)
    normals = np.repeat([n for _, n in faces], 4, axis=0).astype(np.float32)
    quad = np.array([0, 1, 2, 0, 2, 3])
    indices = (quad[None, :] + 4 * np.arange(6)[:, None]).astype(np.uint32).ravel()
    return Primitive(positions=positions, indices=indices, normals=normals)


def flat_normals(positions: np.ndarray, indices: np.ndarray) -> np.ndarray:
    triangles = positions[indices.reshape(-1, 3)]
    face = np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0])
    normals = np.zeros_like(positions)
    np.add.at(normals, indices.reshape(-1, 3), face[:, None, :])
    return normals / np.linalg.norm(normals, axis=1, keepdims=True)


def material(name: str, rgb, metallic: float = 0.0, roughness: float = 0.5, double_sided: bool = False) -> Material:
    return Material(
        name=name,
        base_color=np.array([*rgb, 1.0], np.float32),
        metallic=metallic,
        roughness=roughness,
        double_sided=double_sided,
    )


# ---------------------------------------------------------------------- scenes
def sphere_scene() -> RenderFrame:
    sphere = uv_sphere(0.8)
    return RenderFrame(
        view=camera([2.6, 1.8, 3.6], [0.0, 0.6, 0.0]),
        batches=[
            DrawBatch(sphere, material("clay", (0.75, 0.18, 0.12), roughness=0.35), [], translation(0, 0.8, 0)[None]),
            DrawBatch(
                sphere,
                material("gold", (1.0, 0.78, 0.34), metallic=1.0, roughness=0.25),
                [],
                (np.diag([0.5, 0.5, 0.5, 1.0]).astype(np.float32) @ translation(1.5, 0.4, -0.6))[None],
            ),
        ],
    )


def two_bone_palettes(bend_degrees: float) -> np.ndarray:
    """(2, 4, 4) palette: bone 0 at the origin unposed, bone 1 at y = 1 bent about Z."""
    inverse_bind = translation(0.0, -1.0, 0.0)
    posed = rotation_z(bend_degrees) @ translation(0.0, 1.0, 0.0)
    return np.stack([np.eye(4, dtype=np.float32), inverse_bind @ posed])


def skinned_scene() -> RenderFrame:
    tube = cylinder(0.22, 2.0)
    y = tube.positions[:, 1]
    upper = np.clip((y - 0.8) / 0.4, 0.0, 1.0)  # blend across the joint at y = 1
    tube.joints = np.tile(np.array([0, 1, 0, 0], np.uint16), (tube.vertex_count, 1))
    tube.weights = np.stack([1.0 - upper, upper, np.zeros_like(y), np.zeros_like(y)], axis=1).astype(np.float32)
    models = np.stack([translation(-0.9, 0.0, 0.0), translation(0.6, 0.0, 0.0)])
    palettes = np.stack([two_bone_palettes(0.0), two_bone_palettes(60.0)])
    return RenderFrame(
        view=camera([0.0, 1.6, 5.2], [0.0, 1.0, 0.0]),
        batches=[
            DrawBatch(
                tube,
                material("rubber", (0.2, 0.45, 0.8), roughness=0.45, double_sided=True),
                [],
                models,
                joint_palettes=palettes,
            )
        ],
    )


def morph_scene() -> RenderFrame:
    cube = box(0.5)
    top = cube.positions[:, 1] > 0
    deltas = np.zeros_like(cube.positions)
    deltas[top] = cube.positions[top] * np.array([0.8, 0.0, 0.8]) + np.array([0.35, 0.4, 0.0])
    morphed = cube.positions + deltas
    cube.morph_positions = deltas[None]
    cube.morph_normals = (flat_normals(morphed, cube.indices) - cube.normals)[None]
    models = np.stack([translation(-0.9, 0.5, 0.0), translation(0.9, 0.5, 0.0)])
    weights = np.array([[0.0], [0.7]], np.float32)
    tints = np.array([[1.0, 1.0, 1.0, 1.0], [1.0, 0.85, 0.6, 1.0]], np.float32)
    return RenderFrame(
        view=camera([1.2, 2.2, 4.4], [0.0, 0.6, 0.0]),
        lights=LightParams(sun_direction=np.array([-0.5, -1.0, -0.6], np.float32)),
        batches=[
            DrawBatch(
                cube,
                material("plaster", (0.8, 0.8, 0.78), roughness=0.6),
                [],
                models,
                morph_weights=weights,
                tints=tints,
            )
        ],
        ground=GroundParams(grid_spacing=0.5),
    )


SCENES = {"sphere": sphere_scene, "skinned": skinned_scene, "morph": morph_scene}


# ----------------------------------------------------------------------- tests
def render(renderer: Renderer, target: OffscreenTarget, frame: RenderFrame) -> np.ndarray:
    renderer.render(frame, target.framebuffer, target.size)
    return target.read_rgb()


@pytest.mark.parametrize("name", sorted(SCENES))
def test_golden_image(renderer, target, name):
    image = render(renderer, target, SCENES[name]())
    path = GOLDEN_DIR / f"{name}.png"
    if os.environ.get("MOVIOLA_UPDATE_GOLDEN") == "1":
        GOLDEN_DIR.mkdir(exist_ok=True)
        Image.fromarray(image).save(path)
    assert path.exists(), f"missing {path}; run with MOVIOLA_UPDATE_GOLDEN=1 and check the image"
    reference = np.asarray(Image.open(path).convert("RGB"))
    assert reference.shape == image.shape
    difference = np.abs(image.astype(np.int16) - reference.astype(np.int16))
    mean, high = float(difference.mean()), float(np.percentile(difference, PERCENTILE))
    assert mean < MEAN_TOLERANCE and high < PERCENTILE_TOLERANCE, (
        f"{name}: mean diff {mean:.3f} (< {MEAN_TOLERANCE}), p{PERCENTILE} {high:.1f} (< {PERCENTILE_TOLERANCE})"
    )


def test_same_frame_renders_identical_bytes(renderer, target):
    frame = skinned_scene()
    assert np.array_equal(render(renderer, target, frame), render(renderer, target, frame))
