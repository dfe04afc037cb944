"""The head: a sculpted skull surface, painted-on face features, hair, and ARKit morph targets.

The skull is a radial function around the head centre: an ellipsoid whose jaw
narrows and whose nape tucks in, plus smooth bumps for the nose, brows,
cheeks, chin and ears. Face features (eyes, brows, lips, mouth) are thin
decals laid on that surface at a small height, described in *face
coordinates* (fx, fy) = the x and y of the unit direction from the head centre
(the face looks along +Z). A morph target moves face coordinates (and the jaw
rotates in 3D); re-evaluating the surface keeps every feature lying on the
skin while it blinks, smiles or opens.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.assets.mannequin.geometry import (
    Part,
    chain_weights,
    closed_grid_triangles,
    monotone_cubic,
    outward,
    smoothstep,
)
from engine.assets.mannequin.skeleton import Skeleton
from engine.assets.mannequin.variants import Variant

TARGET_NAMES = ("jawOpen", "eyeBlinkLeft", "eyeBlinkRight", "mouthSmileLeft", "mouthSmileRight",
                "browInnerUp", "mouthFunnel")
JAW_OPEN_RADIANS = 0.24

# Feature layout in face coordinates (left side; the right is mirrored in x).
EYE_CENTRE, EYE_RADII = np.array([0.33, 0.085]), np.array([0.145, 0.058])
IRIS_RADIUS = 0.066
MOUTH_Y, MOUTH_HALF_WIDTH = -0.43, 0.235
BROW_KEYS = np.array([[0.11, 0.205], [0.29, 0.252], [0.50, 0.222]])  # inner, arch, outer


def _gauss(*scaled) -> np.ndarray:
    return np.exp(-0.5 * sum(np.square(v) for v in scaled))


@dataclass(frozen=True)
class HeadShape:
    centre: np.ndarray  # (3,)
    half_width: float
    half_height: float
    half_depth: float

    def radius(self, d: np.ndarray) -> np.ndarray:
        """Distance from the centre to the skin along unit directions `d` (..., 3)."""
        dx, dy, dz = d[..., 0], d[..., 1], d[..., 2]
        front = smoothstep(0.2, 0.7, dz)
        back = smoothstep(0.0, -0.5, dz)
        chin_down = smoothstep(-0.15, -0.95, dy)
        a = self.half_width * (1.0 - 0.22 * chin_down**1.5 * (0.4 + 0.6 * front)) * (1.0 + 0.05 * smoothstep(0.2, 0.8, dy))
        forehead = smoothstep(0.0, 0.6, dy) * front
        c = self.half_depth * (1.0 + 0.06 * back + 0.05 * forehead - 0.16 * front * chin_down)
        c = c * (1.0 - 0.22 * back * smoothstep(-0.35, -0.9, dy))  # the nape tucks in above the neck
        ellipsoid = 1.0 / np.sqrt((dx / a) ** 2 + (dy / self.half_height) ** 2 + (dz / c) ** 2)
        # Flatten the underside of the jaw between the chin and the neck.
        ellipsoid = ellipsoid * (1.0 - 0.16 * smoothstep(-0.45, -0.85, dy) * smoothstep(0.8, 0.3, dz))

        s = self.half_width / 0.076  # feature sizes follow the head's width
        nose_profile = monotone_cubic(np.array([-0.30, -0.25, -0.20, -0.15, -0.04, 0.10, 0.22]),
                                      np.array([[0.0], [0.003], [0.016], [0.022], [0.013], [0.0045], [0.0]]),
                                      np.clip(dy, -0.30, 0.22).ravel()).reshape(dy.shape)
        nose_width = 0.055 + 0.045 * smoothstep(0.0, -0.2, dy)
        bumps = (
            nose_profile * _gauss(dx / nose_width) * front
            - 0.005 * _gauss((np.abs(dx) - EYE_CENTRE[0]) / 0.13, (dy - EYE_CENTRE[1]) / 0.08) * front
            + 0.004 * _gauss(dx / 0.42, (dy - 0.20) / 0.05) * front
            + 0.004 * _gauss((np.abs(dx) - 0.45) / 0.15, (dy + 0.10) / 0.12) * front
            + 0.002 * _gauss(dx / 0.30, (dy - MOUTH_Y) / 0.14) * front
            + 0.004 * _gauss(dx / 0.20, (dy + 0.74) / 0.10) * front
            + 0.013 * _gauss((dy - 0.02) / 0.13, (dz + 0.10) / 0.07) * smoothstep(0.85, 0.97, np.abs(dx))  # ears
        )
        return ellipsoid + s * bumps

    def point(self, d: np.ndarray, height=0.0) -> np.ndarray:
        return self.centre + (self.radius(d) + height)[..., None] * d

    def face_point(self, f: np.ndarray, height=0.0) -> np.ndarray:
        """Skin point (plus `height` outwards) at face coordinates `f` (..., 2)."""
        return self.point(face_direction(f), height)


def face_direction(f: np.ndarray) -> np.ndarray:
    return np.concatenate([f, np.sqrt(np.clip(1.0 - np.sum(f * f, axis=-1, keepdims=True), 0.0, None))], axis=-1)


def head_shape(variant: Variant) -> HeadShape:
    body = variant.body
    half_height = 0.5 * (body.height - body.chin_height)
    centre = np.array([0.0, body.chin_height + half_height, 0.012 * body.height / 1.75])
    return HeadShape(centre, 0.076 * body.head_scale, half_height, 0.097 * body.head_scale)


# --- decal meshes ----------------------------------------------------------------------------


@dataclass
class Decal:
    """A face feature: face coordinates, height above the skin, grid triangles, material."""

    coords: np.ndarray  # (N, 2)
    triangles: np.ndarray  # (F, 3)
    height: float
    material: str
    # Per-vertex row parameter across the feature, -1 at its lower edge, +1 at its upper edge.
    across: np.ndarray


def _band(xs: np.ndarray, lower: np.ndarray, upper: np.ndarray, rows: int, height: float, material: str) -> Decal:
    """A strip spanning lower(x)..upper(x) for each x in `xs`."""
    v = np.linspace(-1.0, 1.0, rows)
    ys = lower[:, None] + (upper - lower)[:, None] * (v[None] + 1.0) / 2.0
    coords = np.stack([np.repeat(xs, rows), ys.ravel()], -1)
    i = np.arange(len(xs) - 1)[:, None] * rows + np.arange(rows - 1)[None]
    quads = np.stack([i, i + rows, i + rows + 1, i, i + rows + 1, i + 1], -1).reshape(-1, 3)
    return Decal(coords, quads, height, material, np.tile(v, len(xs)))


def _ellipse(centre, radii, height: float, material: str, rings: int = 5, segments: int = 20) -> Decal:
    rho = np.linspace(0.0, 1.0, rings + 1)[1:]
    psi = 2 * np.pi * np.arange(segments) / segments
    unit = np.stack([np.cos(psi), np.sin(psi)], -1)
    coords = np.concatenate([np.zeros((1, 2)), (rho[:, None, None] * unit[None]).reshape(-1, 2)])
    j, j_next = np.arange(segments), (np.arange(segments) + 1) % segments
    fan = np.stack([np.zeros(segments, int), 1 + j, 1 + j_next], -1)
    ring = 1 + segments * np.arange(rings - 1)[:, None]
    quads = np.stack([ring + j, ring + segments + j, ring + segments + j_next,
                      ring + j, ring + segments + j_next, ring + j_next], -1).reshape(-1, 3)
    return Decal(np.asarray(centre) + coords * radii, np.concatenate([fan, quads]), height, material, coords[:, 1])


def _left_face_features() -> list[Decal]:
    eye = _ellipse(EYE_CENTRE, EYE_RADII, 0.0012, "eye_white")
    iris = _ellipse(EYE_CENTRE + (0.004, -0.004), IRIS_RADIUS, 0.0022, "iris", rings=3, segments=16)
    # The lids hide the top and bottom of the iris: clamp it inside the eye opening.
    offset = (iris.coords - EYE_CENTRE) / EYE_RADII
    reach = np.maximum(np.linalg.norm(offset, axis=1) / 0.97, 1.0)
    iris.coords = EYE_CENTRE + offset / reach[:, None] * EYE_RADII
    angles = np.linspace(-0.15, np.pi + 0.25, 18)
    thickness = 0.010 + 0.006 * smoothstep(1.6, -0.1, angles)  # heavier towards the outer corner
    lash_centre = EYE_CENTRE + np.stack([np.cos(angles), np.sin(angles)], -1) * EYE_RADII
    lash = _band(lash_centre[:, 0], lash_centre[:, 1] - thickness * 0.2, lash_centre[:, 1] + thickness, 2, 0.0030, "lash")
    brow_x = np.linspace(BROW_KEYS[0, 0], BROW_KEYS[-1, 0], 12)
    brow_y = monotone_cubic(BROW_KEYS[:, 0], BROW_KEYS[:, 1:], brow_x)[:, 0]
    brow_half = 0.022 - 0.010 * (brow_x - brow_x[0]) / (brow_x[-1] - brow_x[0])
    brow = _band(brow_x, brow_y - brow_half, brow_y + brow_half, 3, 0.0022, "hair")
    return [eye, iris, lash, brow]


def _mouth_features() -> list[Decal]:
    x = np.linspace(-MOUTH_HALF_WIDTH, MOUTH_HALF_WIDTH, 21)
    taper = np.sqrt(np.clip(1.0 - (x / MOUTH_HALF_WIDTH) ** 2, 0.0, None))
    cupid_dip = 0.010 * np.exp(-0.5 * (x / 0.035) ** 2)
    line = np.full_like(x, MOUTH_Y)
    upper_lip = _band(x, line, line + 0.048 * taper**0.8 - cupid_dip * taper, 3, 0.0012, "lips")
    lower_lip = _band(x, line - 0.060 * taper**0.7, line, 3, 0.0012, "lips")
    gap = 0.008 * taper + 0.0015
    slit = _band(x, MOUTH_Y - gap, MOUTH_Y + gap, 5, 0.0024, "mouth")
    return [upper_lip, lower_lip, slit]


# --- morph targets ----------------------------------------------------------------------------


@dataclass
class _FaceVertices:
    """Everything a morph needs about a vertex of the head mesh."""

    coords: np.ndarray  # (N, 2) face coordinates (for skin: x, y of the direction)
    height: np.ndarray  # (N,) above the skin
    role: np.ndarray  # (N,) str: skin, eye_l, eye_r, lash_l, lash_r, brow_l, brow_r, lip_up, lip_low, slit
    across: np.ndarray  # (N,) -1..1 across the feature
    depth: np.ndarray  # (N,) z of the direction from the head centre (1 = straight ahead)

    @property
    def front(self) -> np.ndarray:
        """1 on the face, 0 round the back: face-space moves of the skin fade out by this."""
        return smoothstep(0.25, 0.6, self.depth)


def _morph_deltas(shape: HeadShape, verts: _FaceVertices, rest: np.ndarray) -> np.ndarray:
    f, role, _across = verts.coords, verts.role, verts.across
    x, y = f[:, 0], f[:, 1]
    skin = role == "skin"

    def moved(new_coords: np.ndarray, extra_height=0.0) -> np.ndarray:
        # Skin vertices off the face keep their place; face-space moves apply on the front only.
        reach = np.where(skin, verts.front, 1.0)
        new = f + (new_coords - f) * reach[:, None]
        return shape.face_point(new, verts.height + extra_height * reach) - shape.face_point(f, verts.height)

    def blink(side: str, sign: float) -> np.ndarray:
        lid_y = EYE_CENTRE[1] - 0.35 * EYE_RADII[1]
        closing = np.isin(role, [f"eye_{side}", f"lash_{side}"])
        squeeze = np.where(role == f"lash_{side}", 0.12, 0.05)
        new_y = np.where(closing, lid_y + (y - lid_y) * squeeze, y)
        # Lower-lid skin rises a touch with the blink.
        cheek = 0.012 * _gauss((x - sign * EYE_CENTRE[0]) / 0.12, (y - EYE_CENTRE[1] + 0.09) / 0.05) * skin
        return moved(np.stack([x, new_y + cheek], -1))

    def smile(sign: float) -> np.ndarray:
        corner = _gauss((x - sign * MOUTH_HALF_WIDTH) / 0.11, (y - MOUTH_Y) / 0.09)
        mouth_area = np.isin(role, ["lip_up", "lip_low", "slit", "skin"])
        pull = corner * mouth_area
        cheek_raise = 0.004 * _gauss((x - sign * 0.40) / 0.12, (y + 0.22) / 0.10) * skin
        return moved(np.stack([x + sign * 0.030 * pull, y + 0.050 * pull], -1), cheek_raise)

    jaw = _jaw_factor(verts)
    hinge = shape.centre + np.array([0.0, -0.012, -0.012]) * shape.half_width / 0.076
    cos, sin = np.cos(JAW_OPEN_RADIANS), np.sin(JAW_OPEN_RADIANS)
    offset = rest - hinge
    rotated = np.stack([offset[:, 0], offset[:, 1] * cos - offset[:, 2] * sin,
                        offset[:, 1] * sin + offset[:, 2] * cos], -1)
    jaw_open = jaw[:, None] * (rotated - offset)

    brow_inner = np.where(np.isin(role, ["brow_l", "brow_r"]),
                          smoothstep(BROW_KEYS[-1, 0], BROW_KEYS[0, 0], np.abs(x)), 0.0)
    forehead = 0.5 * _gauss(x / 0.14, (y - 0.30) / 0.08) * skin
    brow_up = moved(np.stack([x, y + 0.055 * brow_inner + 0.02 * forehead], -1))

    near_mouth = _gauss(x / 0.20, (y - MOUTH_Y) / 0.12)
    lips = np.isin(role, ["lip_up", "lip_low", "slit"])
    funnel_y = np.select([role == "slit", role == "lip_up", role == "lip_low"],
                         [MOUTH_Y + (y - MOUTH_Y) * 5.0, y + 0.030, y - 0.030], y)
    funnel_x = np.where(lips, x * 0.62, x * (1.0 - 0.3 * near_mouth))
    funnel = moved(np.stack([funnel_x, funnel_y], -1), 0.007 * np.maximum(lips, near_mouth))

    deltas = [jaw_open, blink("l", 1.0), blink("r", -1.0), smile(1.0), smile(-1.0), brow_up, funnel]
    return np.stack(deltas)


def _jaw_factor(verts: _FaceVertices) -> np.ndarray:
    """How fully each vertex follows the jaw: the chin and lower lip fully, the upper lip not at all."""
    x, y, role = verts.coords[:, 0], verts.coords[:, 1], verts.role
    skin = smoothstep(MOUTH_Y + 0.02, MOUTH_Y - 0.07, y) * smoothstep(-0.55, 0.0, verts.depth)
    # Lips open wider in the middle than at the corners, so the open mouth is an oval.
    lip = 0.2 + 0.8 * np.sqrt(np.clip(1.0 - (x / MOUTH_HALF_WIDTH) ** 2, 0.0, None))
    return np.select([role == "lip_low", role == "lip_up", role == "slit"],
                     [lip, np.zeros_like(y), lip * (1.0 - verts.across) / 2.0], skin)


# --- assembly ---------------------------------------------------------------------------------

_HAIRLINE_SHORT = ((0, 57), (35, 62), (60, 74), (80, 84), (100, 86), (125, 100), (150, 112), (180, 118))
_HAIRLINE_BOB = ((0, 52), (30, 58), (55, 78), (75, 110), (100, 116), (140, 120), (180, 122))


def build_head(variant: Variant, skeleton: Skeleton) -> tuple[Part, Part]:
    """(face part with morph targets, hair part). Both are skinned to Neck/Head."""
    shape = head_shape(variant)
    joint_count = len(skeleton.names)
    neck, head = skeleton.indices("Neck", "Head")
    head_joint_y = skeleton.positions[head, 1]

    skin_d, skin_triangles = _skull_grid(rings=38, segments=48)
    decals = _left_face_features()
    mirrored = [Decal(d.coords * (-1.0, 1.0), d.triangles, d.height, d.material, d.across) for d in decals]
    roles = ["eye", "eye", "lash", "brow"]
    features = ([(d, f"{r}_l") for d, r in zip(decals, roles)] + [(d, f"{r}_r") for d, r in zip(mirrored, roles)]
                + list(zip(_mouth_features(), ["lip_up", "lip_low", "slit"])))

    coords = [skin_d[:, :2]] + [d.coords for d, _ in features]
    sizes = [len(c) for c in coords]
    verts = _FaceVertices(
        coords=np.concatenate(coords),
        height=np.concatenate([np.zeros(sizes[0])] + [np.full(len(d.coords), d.height) for d, _ in features]),
        role=np.concatenate([np.full(sizes[0], "skin")] + [np.full(len(d.coords), r) for d, r in features]),
        across=np.concatenate([np.zeros(sizes[0])] + [d.across for d, _ in features]),
        depth=np.concatenate([skin_d[:, 2]] + [face_direction(d.coords)[:, 2] for d, _ in features]),
    )
    positions = np.concatenate([shape.point(skin_d)] + [shape.face_point(d.coords, d.height) for d, _ in features])
    offsets = np.cumsum([0] + sizes[:-1])
    triangles = [outward(shape.point(skin_d), skin_triangles)]
    materials = [np.full(len(skin_triangles), "skin")]
    for (decal, _), offset in zip(features, offsets[1:]):
        triangles.append(_facing_out(positions, decal.triangles + offset, shape.centre))
        materials.append(np.full(len(decal.triangles), decal.material))
    weights = chain_weights(positions[:, 1], [neck, head], [head_joint_y - 0.01], [0.02], joint_count)
    face = Part(positions, np.concatenate(triangles), weights, np.concatenate(materials),
                morphs=_morph_deltas(shape, verts, positions))

    hair_positions, hair_triangles = _hair(shape, variant.outfit.long_hair)
    hair = Part(hair_positions, hair_triangles, chain_weights(hair_positions[:, 1], [neck, head], [head_joint_y - 0.03],
                                                              [0.02], joint_count),
                np.full(len(hair_triangles), "hair"))
    return face, hair


def _skull_grid(rings: int, segments: int) -> tuple[np.ndarray, np.ndarray]:
    """Unit directions, pole to pole, packed closer together across the face than round the back."""
    theta = np.linspace(0.0, np.pi, rings)[1:-1]
    u = 2 * np.pi * np.arange(segments) / segments
    phi = u - 0.45 * np.sin(u)
    d = np.stack([np.outer(np.sin(theta), np.sin(phi)), np.repeat(np.cos(theta)[:, None], segments, 1),
                  np.outer(np.sin(theta), np.cos(phi))], -1).reshape(-1, 3)
    directions = np.concatenate([[[0.0, 1.0, 0.0]], d, [[0.0, -1.0, 0.0]]])
    return directions, closed_grid_triangles(rings, segments)


def _hair(shape: HeadShape, long_hair: bool) -> tuple[np.ndarray, np.ndarray]:
    """A shell over the skull down to the hairline; short hair thins to nothing at its edge."""
    rings, segments = 12, 44
    keys = np.array(_HAIRLINE_BOB if long_hair else _HAIRLINE_SHORT, np.float64)
    u = 2 * np.pi * np.arange(segments) / segments
    phi = u - 0.3 * np.sin(u)
    azimuth = np.degrees(np.abs(np.angle(np.exp(1j * phi))))
    edge = np.radians(monotone_cubic(keys[:, 0], keys[:, 1:], azimuth)[:, 0])
    s = np.linspace(0.0, 1.0, rings)
    theta = s[1:, None] * edge[None]
    d = np.stack([np.sin(theta) * np.sin(phi), np.cos(theta), np.sin(theta) * np.cos(phi)], -1)
    crown = 0.008 * (1.0 - s**2)
    if long_hair:
        thickness = 0.011 + crown + 0.012 * s**4  # a bob flares out at the ends
    else:
        thickness = 0.0015 + (0.006 + crown) * (1.0 - smoothstep(0.75, 1.0, s))
    points = shape.point(d, thickness[1:, None]).reshape(-1, 3)
    top = shape.point(np.array([0.0, 1.0, 0.0]), thickness[0])
    positions = np.concatenate([top[None], points])
    # The grid helper closes both ends; hair stays open at the hairline, so drop the last fan.
    triangles = closed_grid_triangles(rings + 1, segments)[:-segments]
    return positions, _facing_out(positions, triangles, shape.centre)


def _facing_out(positions: np.ndarray, triangles: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Wind an open sheet so its front faces away from `centre`."""
    a, b, c = (positions[triangles[:, k]] for k in range(3))
    normals = np.cross(b - a, c - a)
    outwardness = np.einsum("ij,ij->", normals, (a + b + c) / 3.0 - centre)
    return triangles if outwardness > 0 else triangles[:, ::-1].copy()
