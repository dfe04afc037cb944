"""The dressed body below the head: torso with neck, arms, hands, legs and shoes.

Each segment is a sweep (see `geometry`). Limbs start with a ball centred on
their root joint (shoulder, hip), buried in the torso, so a limb can swing
freely without opening a gap — the classic artist's-mannequin joint. Elbows,
knees, wrists and the spine bend with blended weights along the sweep.
Dimensions are metres for the 1.75 m figure, scaled by the variant's
proportions. The left side is built and mirrored.
"""

from __future__ import annotations

import numpy as np

from engine.assets.mannequin.geometry import Part, Profile, chain_weights, mirror_part, smoothstep, sweep
from engine.assets.mannequin.skeleton import FINGER_SPECS, Skeleton
from engine.assets.mannequin.variants import Variant

X, Y, Z = np.eye(3)
CLOTH_LOOSENESS = 0.006  # sleeves and trouser legs stand this far off the limb


def build_body(variant: Variant, skeleton: Skeleton) -> list[Part]:
    left = [_arm(variant, skeleton), _hand(variant, skeleton), _leg(variant, skeleton), _shoe(variant, skeleton)]
    mirror = skeleton.mirror_indices()
    return [_torso(variant, skeleton)] + left + [mirror_part(part, mirror) for part in left]


def _torso(variant: Variant, skeleton: Skeleton) -> Part:
    body, s = variant.body, variant.body.height / 1.75
    hip_y, shoulder_y, neck_y = body.hip_joint_height, body.shoulder_joint_height, body.neck_base_height
    span = shoulder_y - hip_y
    hips, waist, chest, depth = body.hip_half_width, body.waist_half_width, body.chest_half_width, body.torso_half_depth
    neck = 0.065 * s
    band = hip_y + 0.33 * span  # trousers' waistband; the shirt hangs just over it
    rows = [  # y, half width, half depth, (x offset), z offset, superellipse exponent
        (hip_y - 0.055 * s, 0.80 * hips, 0.70 * depth, 0, -0.024 * s, 2.2),
        (hip_y, hips, 0.92 * depth, 0, -0.014 * s, 2.3),
        (hip_y + 0.10 * span, 0.985 * hips, 0.97 * depth, 0, -0.008 * s, 2.3),
        (band - 0.003, 0.5 * (hips + waist) - 0.002, 0.93 * depth, 0, -0.002 * s, 2.3),
        (band + 0.003, 0.5 * (hips + waist) + 0.004, 0.93 * depth + 0.006, 0, 0.0, 2.3),
        (hip_y + 0.40 * span, waist + 0.004, 0.91 * depth, 0, 0.002 * s, 2.3),
        (hip_y + 0.58 * span, 0.5 * (waist + chest), 0.96 * depth, 0, 0.008 * s, 2.4),
        (hip_y + 0.74 * span, chest, 1.03 * depth, 0, 0.013 * s, 2.4),
        (hip_y + 0.88 * span, 1.02 * chest, 0.98 * depth, 0, 0.010 * s, 2.4),
        (shoulder_y, 1.0 * chest, 0.88 * depth, 0, 0.004 * s, 2.3),
        (shoulder_y + 0.025 * s, 0.98 * chest, 0.80 * depth, 0, -0.002 * s, 2.2),
        (shoulder_y + 0.045 * s, 0.90 * chest, 0.72 * depth, 0, -0.005 * s, 2.1),
        (shoulder_y + 0.060 * s, 0.74 * chest, 0.64 * depth, 0, -0.006 * s, 2.0),
        (shoulder_y + 0.072 * s, 0.54 * chest, 0.58 * depth, 0, -0.006 * s, 2.0),
        (neck_y + 0.030 * s, neck * 1.05, neck * 1.0, 0, -0.004 * s, 2.0),
        (neck_y + 0.055 * s, neck, neck * 0.97, 0, 0.0, 2.0),
        (body.head_joint_height + 0.02 * s, 0.92 * neck, 0.92 * neck, 0, 0.006 * s, 2.0),
    ]
    mesh = sweep((0, 0, 0), Y, X, Profile.of(rows, 0.05 * s, 0.02 * s), rings=46, segments=28)
    y = mesh.positions[:, 1]
    joints = skeleton.indices("Hips", "Spine", "Spine1", "Spine2", "Neck", "Head")
    spine_y = skeleton.positions[joints[1:], 1]
    weights = chain_weights(y, joints, spine_y, [0.05 * s, 0.06 * s, 0.07 * s, 0.03 * s, 0.025 * s], len(skeleton.names))
    # The top of each shoulder rides partly on the clavicle so a shrug lifts it.
    x = mesh.positions[:, 0]
    shoulder_share = 0.8 * smoothstep(0.05 * s, 0.15 * s, np.abs(x)) * smoothstep(shoulder_y - 0.10 * s, shoulder_y, y)
    clavicle = np.where(x > 0, skeleton.index("LeftShoulder"), skeleton.index("RightShoulder"))
    weights *= (1.0 - shoulder_share)[:, None]
    weights[np.arange(len(x)), clavicle] += shoulder_share

    collar = shoulder_y + 0.070 * s
    vertex_band = np.select([y < band, y < collar], ["trousers", "shirt"], "skin")
    return Part(mesh.positions, mesh.triangles, weights, _triangle_labels(mesh.triangles, vertex_band, y))


def _arm(variant: Variant, skeleton: Skeleton) -> Part:
    body, g = variant.body, variant.body.limb_girth
    upper, fore = body.upper_arm, body.forearm
    wrist = upper + fore
    hem = wrist - 0.012 if variant.outfit.long_sleeves else 0.45 * upper
    sleeve = CLOTH_LOOSENESS

    def at(t: float, ru: float, rv: float) -> tuple:
        loose = sleeve if t <= hem else 0.0
        return (t, g * ru + loose, g * rv + loose)

    rows = [at(0.0, 0.045, 0.045), at(0.06, 0.045, 0.047), at(0.15, 0.042, 0.041), at(upper - 0.05, 0.038, 0.036),
            at(upper, 0.036, 0.035), at(upper + 0.06, 0.039, 0.036), at(upper + 0.15, 0.032, 0.027),
            at(wrist - 0.02, 0.028, 0.020), at(wrist, 0.027, 0.019), at(wrist + 0.015, 0.025, 0.017)]
    rows = _with_step(rows, hem, 0.003)
    mesh = sweep(skeleton.positions[skeleton.index("LeftArm")], X, Z,
                 Profile.of(rows, 0.045 * g + sleeve, 0.012), rings=34, segments=14)
    joints = skeleton.indices("LeftArm", "LeftForeArm", "LeftHand")
    weights = chain_weights(mesh.t, joints, [upper, wrist], [0.05, 0.025], len(skeleton.names))
    band = np.where(mesh.t <= hem + 1e-6, "shirt", "skin")
    return Part(mesh.positions, mesh.triangles, weights, _triangle_labels(mesh.triangles, band, mesh.t))


def _hand(variant: Variant, skeleton: Skeleton) -> Part:
    k = variant.body.hand_scale
    wrist = skeleton.positions[skeleton.index("LeftHand")]
    joint_count = len(skeleton.names)
    palm_rows = [(0.0, 0.025 * k, 0.017 * k, 0, 0, 2.5), (0.02 * k, 0.031 * k, 0.018 * k, 0, 0, 2.5),
                 (0.05 * k, 0.040 * k, 0.018 * k, 0, 0, 2.6), (0.078 * k, 0.043 * k, 0.015 * k, 0, 0, 2.6),
                 (0.090 * k, 0.042 * k, 0.013 * k, 0, 0, 2.6)]
    palm = sweep(wrist, X, Z, Profile.of(palm_rows, 0.012 * k, 0.012 * k), rings=12, segments=14)
    hand = skeleton.index("LeftHand")
    parts = [(palm.positions, palm.triangles,
              chain_weights(palm.t, [skeleton.index("LeftForeArm"), hand], [0.0], [0.02], joint_count))]
    for finger, spec in FINGER_SPECS.items():
        direction = np.asarray(spec.direction) / np.linalg.norm(spec.direction)
        across = np.cross(direction, Y)
        across /= np.linalg.norm(across)
        r = spec.radius * k
        l1, l2, l3 = (k * length for length in spec.segments)
        thumb = finger == "Thumb"
        base = 1.35 if thumb else 1.0  # the thumb's root is the fleshy ball of the palm
        rows = [(-0.012 * k, base * r, 0.85 * base * r), (0.0, base * r, 0.85 * base * r),
                (l1, 0.96 * r, 0.86 * r), (l1 + l2, 0.9 * r, 0.82 * r), (l1 + l2 + l3 - 0.006 * k, 0.82 * r, 0.75 * r)]
        mesh = sweep(wrist + k * np.asarray(spec.root), direction, across,
                     Profile.of(rows, 0.006 * k, 0.0065 * k), rings=10, segments=7)
        bones = [hand] + skeleton.indices(*(f"LeftHand{finger}{i}" for i in (1, 2, 3)))
        first = 0.012 * k if thumb else 0.0
        weights = chain_weights(mesh.t, bones, [first, l1, l1 + l2], [0.012 * k, 0.008 * k, 0.006 * k], joint_count)
        parts.append((mesh.positions, mesh.triangles, weights))
    return _merge(parts, "skin")


def _leg(variant: Variant, skeleton: Skeleton) -> Part:
    body, g = variant.body, variant.body.limb_girth
    thigh = body.hip_joint_height - body.knee_height
    shin = body.knee_height - body.ankle_height
    ankle = thigh + shin
    hem = ankle - 0.010
    loose = CLOTH_LOOSENESS
    rows = [(0.0, 0.086 * g, 0.086 * g), (0.08, 0.084 * g, 0.087 * g, 0, 0.004), (0.22, 0.074 * g, 0.076 * g),
            (thigh - 0.06, 0.060 * g, 0.061 * g), (thigh, 0.056 * g, 0.058 * g),
            (thigh + 0.08, 0.055 * g, 0.059 * g, 0, -0.006), (thigh + 0.22, 0.049 * g, 0.051 * g),
            (hem, 0.046 * g, 0.049 * g), (ankle + 0.02, 0.030 * g, 0.033 * g)]
    rows = [(r[0], r[1] + loose, r[2] + loose) + tuple(r[3:]) if r[0] <= hem else r for r in rows]
    rows = _with_step(rows, hem, 0.003)
    mesh = sweep(skeleton.positions[skeleton.index("LeftUpLeg")], -Y, X,
                 Profile.of(rows, 0.086 * g + loose, 0.02), rings=40, segments=18)
    joints = skeleton.indices("LeftUpLeg", "LeftLeg", "LeftFoot")
    weights = chain_weights(mesh.t, joints, [thigh, ankle], [0.06, 0.03], len(skeleton.names))
    band = np.where(mesh.t <= hem + 1e-6, "trousers", "shoes")
    return Part(mesh.positions, mesh.triangles, weights, _triangle_labels(mesh.triangles, band, mesh.t))


def _shoe(variant: Variant, skeleton: Skeleton) -> Part:
    f = variant.body.foot_scale
    ankle = skeleton.positions[skeleton.index("LeftFoot")]

    def at(z: float, half_width: float, top: float) -> tuple:
        # Sole flat on y = 0: the cross-section spans 0..top.
        return (f * z, f * half_width, f * top / 2, 0.0, f * top / 2, 3.0)

    rows = [at(-0.055, 0.034, 0.085), at(-0.025, 0.038, 0.105), at(0.015, 0.042, 0.108), at(0.05, 0.046, 0.085),
            at(0.09, 0.048, 0.065), at(0.13, 0.049, 0.052), at(0.17, 0.044, 0.045), at(0.195, 0.036, 0.038)]
    mesh = sweep((ankle[0], 0.0, ankle[2]), Z, X, Profile.of(rows, 0.016 * f, 0.018 * f), rings=26, segments=16)
    # Radii and centres are interpolated separately, which can dip a hair below the sole plane.
    mesh.positions[:, 1] = np.maximum(mesh.positions[:, 1], 0.0)
    joints = skeleton.indices("LeftFoot", "LeftToeBase")
    ball = skeleton.positions[joints[1], 2] - ankle[2]
    weights = chain_weights(mesh.t, joints, [ball], [0.03 * f], len(skeleton.names))
    # A sole triangle has every corner on the underside; the end poles count as underside.
    on_sole = np.sin(mesh.angle) < -0.62
    on_sole[[0, -1]] = True
    sole_triangle = on_sole[mesh.triangles].all(axis=1)
    return Part(mesh.positions, mesh.triangles, weights, np.where(sole_triangle, "soles", "shoes"))


def _with_step(rows: list[tuple], at: float, lip: float) -> list[tuple]:
    """A hem at `at`: the cloth before it ends `lip` proud, the rows after it start right there."""
    before = [r for r in rows if r[0] < at - 0.004]
    after = [r for r in rows if r[0] > at + 0.004]

    def edge(side: list[tuple], offset: float) -> tuple:
        radii = [np.interp(at, [r[0] for r in side], [r[i] for r in side]) + offset for i in (1, 2)]
        return (*radii, *side[0][3:])

    return before + [(at - 0.002, *edge(before, lip)), (at + 0.002, *edge(after, 0.0))] + after


def _triangle_labels(triangles: np.ndarray, vertex_labels: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Each triangle takes the label of its vertex lowest in `order`, so bands split along one ring."""
    first = np.argmin(order[triangles], axis=1)
    return vertex_labels[triangles[np.arange(len(triangles)), first]]


def _merge(pieces: list[tuple[np.ndarray, np.ndarray, np.ndarray]], material: str) -> Part:
    offsets = np.cumsum([0] + [len(p) for p, _, _ in pieces[:-1]])
    positions = np.concatenate([p for p, _, _ in pieces])
    triangles = np.concatenate([t + o for (_, t, _), o in zip(pieces, offsets)])
    weights = np.concatenate([w for _, _, w in pieces])
    return Part(positions, triangles, weights, np.full(len(triangles), material))
