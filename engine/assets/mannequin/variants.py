"""The two mannequin looks: body proportions (metres) and clothing / skin colours.

Landmark heights are measured standing in the rest pose (T-pose, soles on y=0).
Colours are written as sRGB bytes, the way an artist picks them, and converted
to linear factors when materials are built.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Proportions:
    height: float
    hip_joint_height: float  # top of the thigh bone
    knee_height: float
    ankle_height: float
    hip_joint_half_spacing: float  # hip joint x
    neck_base_height: float
    head_joint_height: float  # skull base
    chin_height: float
    shoulder_joint_height: float
    shoulder_joint_x: float
    upper_arm: float
    forearm: float
    hand_scale: float  # 1.0 = 19 cm wrist to middle fingertip
    foot_scale: float  # 1.0 = 27 cm shoe
    # torso half widths / half depths
    hip_half_width: float
    waist_half_width: float
    chest_half_width: float
    torso_half_depth: float
    limb_girth: float  # multiplies arm and leg radii
    head_scale: float  # multiplies head width and depth


@dataclass(frozen=True)
class Outfit:
    skin: tuple[int, int, int]
    hair: tuple[int, int, int]
    iris: tuple[int, int, int]
    lips: tuple[int, int, int]
    shirt: tuple[int, int, int]
    trousers: tuple[int, int, int]
    shoes: tuple[int, int, int]
    soles: tuple[int, int, int]
    long_sleeves: bool
    long_hair: bool  # a bob down to the jaw instead of a short cut


@dataclass(frozen=True)
class Variant:
    name: str
    body: Proportions
    outfit: Outfit


VARIANTS = {
    "a": Variant(
        "a",
        Proportions(
            height=1.75, hip_joint_height=0.925, knee_height=0.50, ankle_height=0.080,
            hip_joint_half_spacing=0.088, neck_base_height=1.47, head_joint_height=1.565,
            chin_height=1.515, shoulder_joint_height=1.40, shoulder_joint_x=0.178,
            upper_arm=0.295, forearm=0.255, hand_scale=1.0, foot_scale=1.0,
            hip_half_width=0.168, waist_half_width=0.145, chest_half_width=0.168, torso_half_depth=0.108,
            limb_girth=1.0, head_scale=1.0,
        ),
        Outfit(
            skin=(226, 178, 146), hair=(62, 42, 30), iris=(70, 48, 32), lips=(186, 112, 104),
            shirt=(38, 112, 160), trousers=(46, 58, 92), shoes=(48, 40, 36), soles=(225, 222, 214),
            long_sleeves=False, long_hair=False,
        ),
    ),
    "b": Variant(
        "b",
        Proportions(
            height=1.65, hip_joint_height=0.885, knee_height=0.475, ankle_height=0.075,
            hip_joint_half_spacing=0.090, neck_base_height=1.385, head_joint_height=1.475,
            chin_height=1.428, shoulder_joint_height=1.32, shoulder_joint_x=0.160,
            upper_arm=0.275, forearm=0.235, hand_scale=0.92, foot_scale=0.91,
            hip_half_width=0.178, waist_half_width=0.128, chest_half_width=0.150, torso_half_depth=0.104,
            limb_girth=0.92, head_scale=0.96,
        ),
        Outfit(
            skin=(150, 102, 74), hair=(28, 22, 22), iris=(34, 24, 20), lips=(140, 72, 70),
            shirt=(176, 58, 52), trousers=(128, 122, 104), shoes=(232, 230, 224), soles=(120, 120, 124),
            long_sleeves=True, long_hair=True,
        ),
    ),
}
