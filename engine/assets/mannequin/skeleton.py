"""The mannequin's humanoid skeleton: Mixamo bone names (no prefix), rest T-pose.

Every rest rotation is identity, so each joint's local axes are the model axes
(+Y up, +Z forward, the character's left on +X) — the VRM 1.0 rest convention.
A clip's local rotation is therefore directly "how far this joint turned".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.assets.mannequin.variants import Proportions

SIDES = ("Left", "Right")
FINGERS = ("Thumb", "Index", "Middle", "Ring", "Pinky")


@dataclass(frozen=True)
class FingerSpec:
    """One finger of the left hand at hand_scale 1, relative to the wrist joint."""

    root: tuple[float, float, float]
    direction: tuple[float, float, float]
    segments: tuple[float, float, float]  # bone lengths; the last one ends at the fingertip
    radius: float


# Left hand, palm down, fingers along +X, thumb towards +Z (forward) as in a T-pose.
FINGER_SPECS = {
    "Thumb": FingerSpec((0.024, -0.012, 0.022), (0.70, -0.32, 0.64), (0.040, 0.032, 0.027), 0.0105),
    "Index": FingerSpec((0.090, 0.0, 0.025), (1.0, 0.0, 0.06), (0.042, 0.025, 0.021), 0.0090),
    "Middle": FingerSpec((0.094, 0.0, 0.008), (1.0, 0.0, 0.0), (0.047, 0.029, 0.022), 0.0092),
    "Ring": FingerSpec((0.090, 0.0, -0.010), (1.0, 0.0, -0.05), (0.044, 0.027, 0.021), 0.0087),
    "Pinky": FingerSpec((0.083, 0.0, -0.027), (1.0, 0.0, -0.12), (0.034, 0.020, 0.018), 0.0078),
}

# Mixamo name -> VRM 1.0 humanoid name, for one side (prefix "Left"/"left" added per side).
_VRM_SIDED = {
    "Shoulder": "Shoulder", "Arm": "UpperArm", "ForeArm": "LowerArm", "Hand": "Hand",
    "UpLeg": "UpperLeg", "Leg": "LowerLeg", "Foot": "Foot", "ToeBase": "Toes",
    "HandThumb1": "ThumbMetacarpal", "HandThumb2": "ThumbProximal", "HandThumb3": "ThumbDistal",
    **{f"Hand{finger}{i}": f"{finger}{part}" for finger in FINGERS[1:]
       for i, part in enumerate(("Proximal", "Intermediate", "Distal"), start=1)},
}
_VRM_CENTRE = {"Hips": "hips", "Spine": "spine", "Spine1": "chest", "Spine2": "upperChest",
               "Neck": "neck", "Head": "head"}


@dataclass(frozen=True)
class Skeleton:
    names: tuple[str, ...]
    parents: np.ndarray  # (J,) int, -1 for the root (Hips); parents come first
    positions: np.ndarray  # (J, 3) rest joint positions in model space

    def index(self, name: str) -> int:
        return self.names.index(name)

    def indices(self, *names: str) -> list[int]:
        return [self.names.index(name) for name in names]

    @property
    def local_offsets(self) -> np.ndarray:
        """Rest translation of each joint relative to its parent (the root's is absolute)."""
        parent_positions = np.where(self.parents[:, None] >= 0, self.positions[self.parents], 0.0)
        return self.positions - parent_positions

    def mirror_indices(self) -> np.ndarray:
        """Index of each joint's counterpart on the other side (centre joints map to themselves)."""
        swapped = [name.replace("Left", "\0").replace("Right", "Left").replace("\0", "Right") for name in self.names]
        return np.array([self.names.index(name) for name in swapped], np.int64)

    def humanoid_map(self) -> dict[str, int]:
        """VRM 1.0 humanoid bone name -> joint index."""
        bones = {vrm: self.index(name) for name, vrm in _VRM_CENTRE.items()}
        for side in SIDES:
            for name, vrm in _VRM_SIDED.items():
                bones[side.lower() + vrm] = self.index(side + name)
        return bones


def build_skeleton(body: Proportions) -> Skeleton:
    s = body.height / 1.75
    joints: list[tuple[str, str | None, tuple[float, float, float]]] = []

    def add(name: str, parent: str | None, position) -> None:
        joints.append((name, parent, tuple(float(v) for v in position)))

    hips_y = body.hip_joint_height + 0.06 * s
    torso_span = body.neck_base_height - hips_y
    add("Hips", None, (0, hips_y, 0))
    add("Spine", "Hips", (0, hips_y + 0.10 * torso_span, 0))
    add("Spine1", "Spine", (0, hips_y + 0.35 * torso_span, 0))
    add("Spine2", "Spine1", (0, hips_y + 0.62 * torso_span, 0))
    add("Neck", "Spine2", (0, body.neck_base_height, -0.005 * s))
    add("Head", "Neck", (0, body.head_joint_height, 0.010 * s))
    add("HeadTop_End", "Head", (0, body.height, 0.010 * s))
    for side, sign in zip(SIDES, (1.0, -1.0)):
        mirror = np.array([sign, 1.0, 1.0])
        shoulder = np.array([body.shoulder_joint_x, body.shoulder_joint_height, 0.0])
        add(f"{side}Shoulder", "Spine2", mirror * (0.035 * s, body.shoulder_joint_height - 0.01 * s, 0.0))
        add(f"{side}Arm", f"{side}Shoulder", mirror * shoulder)
        add(f"{side}ForeArm", f"{side}Arm", mirror * (shoulder + (body.upper_arm, 0, 0)))
        wrist = shoulder + (body.upper_arm + body.forearm, 0, 0)
        add(f"{side}Hand", f"{side}ForeArm", mirror * wrist)
        for finger, spec in FINGER_SPECS.items():
            direction = np.asarray(spec.direction) / np.linalg.norm(spec.direction)
            position = wrist + body.hand_scale * np.asarray(spec.root)
            parent = f"{side}Hand"
            for i, length in enumerate(spec.segments, start=1):
                add(f"{side}Hand{finger}{i}", parent, mirror * position)
                parent = f"{side}Hand{finger}{i}"
                position = position + body.hand_scale * length * direction
    for side, sign in zip(SIDES, (1.0, -1.0)):
        x = sign * body.hip_joint_half_spacing
        add(f"{side}UpLeg", "Hips", (x, body.hip_joint_height, 0))
        add(f"{side}Leg", f"{side}UpLeg", (x, body.knee_height, 0))
        add(f"{side}Foot", f"{side}Leg", (x, body.ankle_height, 0))
        add(f"{side}ToeBase", f"{side}Foot", (x, 0.026 * body.foot_scale, 0.128 * body.foot_scale))
    names = tuple(name for name, _, _ in joints)
    parents = np.array([-1 if parent is None else names.index(parent) for _, parent, _ in joints], np.int32)
    positions = np.array([position for _, _, position in joints], np.float64)
    return Skeleton(names, parents, positions)
