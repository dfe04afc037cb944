"""Humanoid bone-map detection: naming conventions, declared VRM maps, CesiumMan, nameless rigs, overrides."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest

from engine.assets.mesh_loader import load_model
from engine.assets.model import ModelAsset, Node
from engine.capture.humanoid import (
    REQUIRED_BONES,
    canonical_humanoid_map,
    classify_name,
    detect_bone_map,
    detect_bone_map_from_names,
)
from engine.errors import AssetError

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "assets"
MANNEQUIN = ROOT / "assets" / "characters" / "mannequin_a.glb"

# Rest positions of a plain T-pose human (metres; left = +x, facing +z). Sided entries are for the left side.
TEMPLATE = {
    "floor": (0, 0, 0), "hips": (0, 1.0, 0), "spine": (0, 1.1, 0), "chest": (0, 1.25, 0),
    "upperChest": (0, 1.38, 0), "upperChest2": (0, 1.44, 0), "neck": (0, 1.5, 0), "neckMid": (0, 1.56, 0.005),
    "head": (0, 1.62, 0.01), "headEnd": (0, 1.82, 0.01),
    "clavicle": (0.03, 1.45, 0), "upperArm": (0.18, 1.46, 0), "upperArmMid": (0.32, 1.46, 0),
    "lowerArm": (0.46, 1.46, 0), "hand": (0.72, 1.46, 0), "handMid": (0.76, 1.46, 0), "index": (0.81, 1.46, 0.02),
    "index2": (0.85, 1.46, 0.02), "index3": (0.88, 1.46, 0.02), "index4": (0.9, 1.46, 0.02),
    "thumb": (0.75, 1.44, 0.04), "fingersEnd": (0.9, 1.46, 0), "upperLeg": (0.09, 0.94, 0), "lowerLeg": (0.09, 0.5, 0),
    "foot": (0.09, 0.08, 0), "toes": (0.09, 0.02, 0.13), "toesEnd": (0.09, 0.02, 0.2),
}

# (node name, parent name, position key); {Side}/{side}/{S}/{s} expand to Left/left/L/l and Right/right/R/r.
# Each convention lists the names the detector must find: canonical bone -> node name.
CONVENTIONS = {
    "mixamo": ([
        ("mixamorig:Hips", None, "hips"), ("mixamorig:Spine", "mixamorig:Hips", "spine"),
        ("mixamorig:Spine1", "mixamorig:Spine", "chest"), ("mixamorig:Spine2", "mixamorig:Spine1", "upperChest"),
        ("mixamorig:Neck", "mixamorig:Spine2", "neck"), ("mixamorig:Head", "mixamorig:Neck", "head"),
        ("mixamorig:HeadTop_End", "mixamorig:Head", "headEnd"),
        ("mixamorig:{Side}Shoulder", "mixamorig:Spine2", "clavicle"),
        ("mixamorig:{Side}Arm", "mixamorig:{Side}Shoulder", "upperArm"),
        ("mixamorig:{Side}ForeArm", "mixamorig:{Side}Arm", "lowerArm"),
        ("mixamorig:{Side}Hand", "mixamorig:{Side}ForeArm", "hand"),
        ("mixamorig:{Side}HandIndex1", "mixamorig:{Side}Hand", "index"),
        ("mixamorig:{Side}HandIndex2", "mixamorig:{Side}HandIndex1", "index2"),
        ("mixamorig:{Side}HandIndex3", "mixamorig:{Side}HandIndex2", "index3"),
        ("mixamorig:{Side}HandIndex4", "mixamorig:{Side}HandIndex3", "index4"),
        ("mixamorig:{Side}UpLeg", "mixamorig:Hips", "upperLeg"),
        ("mixamorig:{Side}Leg", "mixamorig:{Side}UpLeg", "lowerLeg"),
        ("mixamorig:{Side}Foot", "mixamorig:{Side}Leg", "foot"),
        ("mixamorig:{Side}ToeBase", "mixamorig:{Side}Foot", "toes"),
        ("mixamorig:{Side}Toe_End", "mixamorig:{Side}ToeBase", "toesEnd"),
    ], {"hips": "mixamorig:Hips", "spine": "mixamorig:Spine", "chest": "mixamorig:Spine1",
        "upperChest": "mixamorig:Spine2", "neck": "mixamorig:Neck", "head": "mixamorig:Head",
        "{side}Shoulder": "mixamorig:{Side}Shoulder", "{side}UpperArm": "mixamorig:{Side}Arm",
        "{side}LowerArm": "mixamorig:{Side}ForeArm", "{side}Hand": "mixamorig:{Side}Hand",
        "{side}IndexProximal": "mixamorig:{Side}HandIndex1", "{side}IndexDistal": "mixamorig:{Side}HandIndex3",
        "{side}UpperLeg": "mixamorig:{Side}UpLeg", "{side}LowerLeg": "mixamorig:{Side}Leg",
        "{side}Foot": "mixamorig:{Side}Foot", "{side}Toes": "mixamorig:{Side}ToeBase"}),
    "cmu_cgspeed": ([
        ("Hips", None, "hips"), ("{S}HipJoint", "Hips", "hips"), ("{Side}Hip", "{S}HipJoint", "upperLeg"),
        ("{Side}Knee", "{Side}Hip", "lowerLeg"), ("{Side}Ankle", "{Side}Knee", "foot"),
        ("{Side}Toe", "{Side}Ankle", "toes"), ("lowerback", "Hips", "hips"), ("Chest", "lowerback", "chest"),
        ("Chest2", "Chest", "upperChest"), ("lowerneck", "Chest2", "upperChest"), ("Neck", "lowerneck", "neck"),
        ("Head", "Neck", "head"), ("{Side}Collar", "Chest2", "upperChest"),
        ("{Side}Shoulder", "{Side}Collar", "upperArm"), ("{Side}Elbow", "{Side}Shoulder", "lowerArm"),
        ("{Side}Wrist", "{Side}Elbow", "hand"), ("{s}hand", "{Side}Wrist", "hand"),
        ("{S}Fingers", "{s}hand", "fingersEnd"), ("{S}Thumb", "{s}hand", "thumb"),
    ], {"hips": "Hips", "spine": "Chest", "chest": "Chest2", "neck": "Neck", "head": "Head",
        "{side}Shoulder": "{Side}Collar", "{side}UpperArm": "{Side}Shoulder", "{side}LowerArm": "{Side}Elbow",
        "{side}Hand": "{Side}Wrist", "{side}UpperLeg": "{Side}Hip", "{side}LowerLeg": "{Side}Knee",
        "{side}Foot": "{Side}Ankle", "{side}Toes": "{Side}Toe"}),
    "cgspeed_daz_friendly": ([
        ("Hips", None, "hips"), ("{S}HipJoint", "Hips", "hips"), ("{Side}UpLeg", "{S}HipJoint", "upperLeg"),
        ("{Side}Leg", "{Side}UpLeg", "lowerLeg"), ("{Side}Foot", "{Side}Leg", "foot"),
        ("{Side}ToeBase", "{Side}Foot", "toes"), ("LowerBack", "Hips", "hips"), ("Spine", "LowerBack", "chest"),
        ("Spine1", "Spine", "upperChest"), ("Neck", "Spine1", "neck"), ("Neck1", "Neck", "neck"),
        ("Head", "Neck1", "head"), ("{Side}Shoulder", "Spine1", "clavicle"),
        ("{Side}Arm", "{Side}Shoulder", "upperArm"),
        ("{Side}ForeArm", "{Side}Arm", "lowerArm"), ("{Side}Hand", "{Side}ForeArm", "hand"),
        ("{Side}FingerBase", "{Side}Hand", "handMid"), ("{Side}HandIndex1", "{Side}FingerBase", "index"),
        ("{S}Thumb", "{Side}Hand", "thumb"),
    ], {"hips": "Hips", "spine": "Spine", "chest": "Spine1", "neck": "Neck", "head": "Head",
        "{side}Shoulder": "{Side}Shoulder", "{side}UpperArm": "{Side}Arm", "{side}LowerArm": "{Side}ForeArm",
        "{side}Hand": "{Side}Hand", "{side}UpperLeg": "{Side}UpLeg", "{side}LowerLeg": "{Side}Leg",
        "{side}Foot": "{Side}Foot", "{side}Toes": "{Side}ToeBase", "{side}IndexProximal": "{Side}HandIndex1"}),
    "daz_genesis": ([
        ("hip", None, "hips"), ("pelvis", "hip", "hips"), ("{s}Thigh", "pelvis", "upperLeg"),
        ("{s}Shin", "{s}Thigh", "lowerLeg"), ("{s}Foot", "{s}Shin", "foot"), ("{s}Toe", "{s}Foot", "toes"),
        ("abdomen", "hip", "spine"), ("abdomen2", "abdomen", "chest"), ("chest", "abdomen2", "upperChest"),
        ("neck", "chest", "neck"), ("head", "neck", "head"), ("{s}Collar", "chest", "clavicle"),
        ("{s}Shldr", "{s}Collar", "upperArm"), ("{s}ForeArm", "{s}Shldr", "lowerArm"),
        ("{s}Hand", "{s}ForeArm", "hand"), ("{s}Index1", "{s}Hand", "index"), ("{s}Index2", "{s}Index1", "index2"),
        ("{s}Index3", "{s}Index2", "index3"),
    ], {"hips": "hip", "spine": "abdomen", "chest": "abdomen2", "upperChest": "chest", "neck": "neck",
        "head": "head", "{side}Shoulder": "{s}Collar", "{side}UpperArm": "{s}Shldr", "{side}LowerArm": "{s}ForeArm",
        "{side}Hand": "{s}Hand", "{side}UpperLeg": "{s}Thigh", "{side}LowerLeg": "{s}Shin", "{side}Foot": "{s}Foot",
        "{side}Toes": "{s}Toe", "{side}IndexProximal": "{s}Index1", "{side}IndexDistal": "{s}Index3"}),
    "daz_genesis3": ([
        ("hip", None, "hips"), ("pelvis", "hip", "hips"), ("{s}ThighBend", "pelvis", "upperLeg"),
        ("{s}ThighTwist", "{s}ThighBend", "upperArmMid"), ("{s}Shin", "{s}ThighTwist", "lowerLeg"),
        ("{s}Foot", "{s}Shin", "foot"), ("abdomenLower", "hip", "spine"), ("abdomenUpper", "abdomenLower", "chest"),
        ("chestLower", "abdomenUpper", "upperChest"), ("chestUpper", "chestLower", "upperChest2"),
        ("neckLower", "chestUpper", "neck"), ("neckUpper", "neckLower", "neckMid"), ("head", "neckUpper", "head"),
        ("head_End", "head", "headEnd"),
        ("{s}Collar", "chestUpper", "clavicle"), ("{s}ShldrBend", "{s}Collar", "upperArm"),
        ("{s}ShldrTwist", "{s}ShldrBend", "upperArmMid"), ("{s}ForearmBend", "{s}ShldrTwist", "lowerArm"),
        ("{s}Hand", "{s}ForearmBend", "hand"),
    ], {"hips": "hip", "spine": "abdomenLower", "chest": "chestLower", "upperChest": "chestUpper",
        "neck": "neckLower", "head": "head", "{side}Shoulder": "{s}Collar", "{side}UpperArm": "{s}ShldrBend",
        "{side}LowerArm": "{s}ForearmBend", "{side}Hand": "{s}Hand", "{side}UpperLeg": "{s}ThighBend",
        "{side}LowerLeg": "{s}Shin", "{side}Foot": "{s}Foot"}),
    "cmu_asf": ([
        ("root", None, "hips"), ("{s}hipjoint", "root", "hips"), ("{s}femur", "{s}hipjoint", "upperLeg"),
        ("{s}tibia", "{s}femur", "lowerLeg"), ("{s}foot", "{s}tibia", "foot"), ("{s}toes", "{s}foot", "toes"),
        ("lowerback", "root", "hips"), ("upperback", "lowerback", "spine"), ("thorax", "upperback", "chest"),
        ("lowerneck", "thorax", "neck"), ("upperneck", "lowerneck", "neckMid"), ("head", "upperneck", "head"),
        ("head_End", "head", "headEnd"),
        ("{s}clavicle", "thorax", "clavicle"), ("{s}humerus", "{s}clavicle", "upperArm"),
        ("{s}radius", "{s}humerus", "lowerArm"), ("{s}wrist", "{s}radius", "hand"), ("{s}hand", "{s}wrist", "handMid"),
        ("{s}fingers", "{s}hand", "fingersEnd"), ("{s}thumb", "{s}hand", "thumb"),
    ], {"hips": "root", "spine": "upperback", "chest": "thorax", "neck": "lowerneck", "head": "head",
        "{side}Shoulder": "{s}clavicle", "{side}UpperArm": "{s}humerus", "{side}LowerArm": "{s}radius",
        "{side}Hand": "{s}wrist", "{side}UpperLeg": "{s}femur", "{side}LowerLeg": "{s}tibia", "{side}Foot": "{s}foot",
        "{side}Toes": "{s}toes"}),
    "unreal": ([
        ("root", None, "floor"), ("pelvis", "root", "hips"), ("spine_01", "pelvis", "spine"),
        ("spine_02", "spine_01", "chest"), ("spine_03", "spine_02", "upperChest"), ("neck_01", "spine_03", "neck"),
        ("head", "neck_01", "head"), ("clavicle_{s}", "spine_03", "clavicle"),
        ("upperarm_{s}", "clavicle_{s}", "upperArm"),
        ("upperarm_twist_01_{s}", "upperarm_{s}", "upperArmMid"), ("lowerarm_{s}", "upperarm_{s}", "lowerArm"),
        ("hand_{s}", "lowerarm_{s}", "hand"), ("index_metacarpal_{s}", "hand_{s}", "handMid"),
        ("index_01_{s}", "index_metacarpal_{s}", "index"), ("thumb_01_{s}", "hand_{s}", "thumb"),
        ("thigh_{s}", "pelvis", "upperLeg"), ("calf_{s}", "thigh_{s}", "lowerLeg"), ("foot_{s}", "calf_{s}", "foot"),
        ("ball_{s}", "foot_{s}", "toes"), ("ik_foot_root", "root", "floor"), ("ik_foot_{s}", "ik_foot_root", "foot"),
    ], {"hips": "pelvis", "spine": "spine_01", "chest": "spine_02", "upperChest": "spine_03", "neck": "neck_01",
        "head": "head", "{side}Shoulder": "clavicle_{s}", "{side}UpperArm": "upperarm_{s}",
        "{side}LowerArm": "lowerarm_{s}", "{side}Hand": "hand_{s}", "{side}UpperLeg": "thigh_{s}",
        "{side}LowerLeg": "calf_{s}", "{side}Foot": "foot_{s}", "{side}Toes": "ball_{s}",
        "{side}IndexProximal": "index_01_{s}", "{side}ThumbMetacarpal": "thumb_01_{s}"}),
    "vrm_names": ([
        ("hips", None, "hips"), ("spine", "hips", "spine"), ("chest", "spine", "chest"),
        ("upperChest", "chest", "upperChest"), ("neck", "upperChest", "neck"), ("head", "neck", "head"),
        ("{side}Shoulder", "upperChest", "clavicle"), ("{side}UpperArm", "{side}Shoulder", "upperArm"),
        ("{side}LowerArm", "{side}UpperArm", "lowerArm"), ("{side}Hand", "{side}LowerArm", "hand"),
        ("{side}UpperLeg", "hips", "upperLeg"), ("{side}LowerLeg", "{side}UpperLeg", "lowerLeg"),
        ("{side}Foot", "{side}LowerLeg", "foot"), ("{side}Toes", "{side}Foot", "toes"),
    ], {bone: bone for bone in ("hips", "spine", "chest", "upperChest", "neck", "head", "{side}Shoulder",
                                "{side}UpperArm", "{side}LowerArm", "{side}Hand", "{side}UpperLeg",
                                "{side}LowerLeg", "{side}Foot", "{side}Toes")}),
    "vroid": ([
        ("Root", None, "floor"), ("J_Bip_C_Hips", "Root", "hips"), ("J_Bip_C_Spine", "J_Bip_C_Hips", "spine"),
        ("J_Bip_C_Chest", "J_Bip_C_Spine", "chest"), ("J_Bip_C_UpperChest", "J_Bip_C_Chest", "upperChest"),
        ("J_Bip_C_Neck", "J_Bip_C_UpperChest", "neck"), ("J_Bip_C_Head", "J_Bip_C_Neck", "head"),
        ("J_Bip_{S}_Shoulder", "J_Bip_C_UpperChest", "clavicle"),
        ("J_Bip_{S}_UpperArm", "J_Bip_{S}_Shoulder", "upperArm"),
        ("J_Bip_{S}_LowerArm", "J_Bip_{S}_UpperArm", "lowerArm"), ("J_Bip_{S}_Hand", "J_Bip_{S}_LowerArm", "hand"),
        ("J_Bip_{S}_Index1", "J_Bip_{S}_Hand", "index"), ("J_Bip_{S}_UpperLeg", "J_Bip_C_Hips", "upperLeg"),
        ("J_Bip_{S}_LowerLeg", "J_Bip_{S}_UpperLeg", "lowerLeg"), ("J_Bip_{S}_Foot", "J_Bip_{S}_LowerLeg", "foot"),
        ("J_Bip_{S}_ToeBase", "J_Bip_{S}_Foot", "toes"),
    ], {"hips": "J_Bip_C_Hips", "spine": "J_Bip_C_Spine", "chest": "J_Bip_C_Chest",
        "upperChest": "J_Bip_C_UpperChest", "neck": "J_Bip_C_Neck", "head": "J_Bip_C_Head",
        "{side}Shoulder": "J_Bip_{S}_Shoulder", "{side}UpperArm": "J_Bip_{S}_UpperArm",
        "{side}LowerArm": "J_Bip_{S}_LowerArm", "{side}Hand": "J_Bip_{S}_Hand", "{side}UpperLeg": "J_Bip_{S}_UpperLeg",
        "{side}LowerLeg": "J_Bip_{S}_LowerLeg", "{side}Foot": "J_Bip_{S}_Foot", "{side}Toes": "J_Bip_{S}_ToeBase",
        "{side}IndexProximal": "J_Bip_{S}_Index1"}),
    "max_biped": ([
        ("Bip01", None, "floor"), ("Bip01 Pelvis", "Bip01", "hips"), ("Bip01 Spine", "Bip01 Pelvis", "spine"),
        ("Bip01 Spine1", "Bip01 Spine", "chest"), ("Bip01 Neck", "Bip01 Spine1", "neck"),
        ("Bip01 Head", "Bip01 Neck", "head"), ("Bip01 {S} Clavicle", "Bip01 Neck", "clavicle"),
        ("Bip01 {S} UpperArm", "Bip01 {S} Clavicle", "upperArm"),
        ("Bip01 {S} Forearm", "Bip01 {S} UpperArm", "lowerArm"),
        ("Bip01 {S} Hand", "Bip01 {S} Forearm", "hand"), ("Bip01 {S} Thigh", "Bip01 Pelvis", "upperLeg"),
        ("Bip01 {S} Calf", "Bip01 {S} Thigh", "lowerLeg"), ("Bip01 {S} Foot", "Bip01 {S} Calf", "foot"),
        ("Bip01 {S} Toe0", "Bip01 {S} Foot", "toes"),
    ], {"hips": "Bip01 Pelvis", "spine": "Bip01 Spine", "chest": "Bip01 Spine1", "neck": "Bip01 Neck",
        "head": "Bip01 Head", "{side}Shoulder": "Bip01 {S} Clavicle", "{side}UpperArm": "Bip01 {S} UpperArm",
        "{side}LowerArm": "Bip01 {S} Forearm", "{side}Hand": "Bip01 {S} Hand", "{side}UpperLeg": "Bip01 {S} Thigh",
        "{side}LowerLeg": "Bip01 {S} Calf", "{side}Foot": "Bip01 {S} Foot", "{side}Toes": "Bip01 {S} Toe0"}),
    "blender": ([
        ("pelvis", None, "hips"), ("spine", "pelvis", "spine"), ("chest", "spine", "chest"), ("neck", "chest", "neck"),
        ("head", "neck", "head"), ("shoulder.{S}", "chest", "clavicle"), ("upper_arm.{S}", "shoulder.{S}", "upperArm"),
        ("forearm.{S}", "upper_arm.{S}", "lowerArm"), ("hand.{S}", "forearm.{S}", "hand"),
        ("thigh.{S}", "pelvis", "upperLeg"), ("shin.{S}", "thigh.{S}", "lowerLeg"), ("foot.{S}", "shin.{S}", "foot"),
        ("toe.{S}", "foot.{S}", "toes"),
    ], {"hips": "pelvis", "spine": "spine", "chest": "chest", "neck": "neck", "head": "head",
        "{side}Shoulder": "shoulder.{S}", "{side}UpperArm": "upper_arm.{S}", "{side}LowerArm": "forearm.{S}",
        "{side}Hand": "hand.{S}", "{side}UpperLeg": "thigh.{S}", "{side}LowerLeg": "shin.{S}", "{side}Foot": "foot.{S}",
        "{side}Toes": "toe.{S}"}),
}

SIDE_WORDS = ({"Side": "Left", "side": "left", "S": "L", "s": "l"},
              {"Side": "Right", "side": "right", "S": "R", "s": "r"})


def build_skeleton(spec):
    """(names, parents, rest positions) from a convention's node list, both sides expanded."""
    names, parents, positions = [], [], []
    for name, parent, key in spec:
        sided = "{" in name
        for words, sign in zip(SIDE_WORDS, (1.0, -1.0)) if sided else [(SIDE_WORDS[0], 1.0)]:
            names.append(name.format(**words))
            parents.append(-1 if parent is None else names.index(parent.format(**words)))
            x, y, z = TEMPLATE[key]
            positions.append((sign * x, y, z))
    return names, np.array(parents), np.array(positions, float)


def expected_names(expected):
    out = {}
    for bone, name in expected.items():
        if "{" in bone:
            for words in SIDE_WORDS:
                out[bone.format(**words)] = name.format(**words)
        else:
            out[bone] = name
    return out


def as_asset(names, parents, positions, path="rig.glb") -> ModelAsset:
    nodes = []
    for index, (name, parent) in enumerate(zip(names, parents)):
        offset = positions[index] - (positions[parent] if parent >= 0 else 0.0)
        nodes.append(Node(name, parent=int(parent), translation=offset.astype(np.float32)))
    for index, node in enumerate(nodes):
        node.children = [i for i, n in enumerate(nodes) if n.parent == index]
    return ModelAsset(path=path, nodes=nodes, roots=[i for i, n in enumerate(nodes) if n.parent < 0])


@pytest.mark.parametrize("convention", sorted(CONVENTIONS))
def test_conventions_are_recognised_by_name(convention):
    spec, expected = CONVENTIONS[convention]
    names, parents, positions = build_skeleton(spec)
    found = detect_bone_map_from_names(names, parents, positions)
    got = {bone: names[node] for bone, node in found.items()}
    want = expected_names(expected)
    assert {bone: got.get(bone) for bone in want} == want
    # The same through a ModelAsset (node translations, not positions)
    asset_map = detect_bone_map(as_asset(names, parents, positions))
    assert {bone: names[node] for bone, node in asset_map.items()} == got


# Genesis 3 splits its upper arm into collinear bend and twist bones: only names tell which one is the arm.
@pytest.mark.parametrize("convention", sorted(set(CONVENTIONS) - {"daz_genesis3"}))
def test_names_are_not_needed_when_the_shape_is_humanoid(convention):
    """Each convention's skeleton with its names scrambled: the topology fallback finds the required bones."""
    spec, expected = CONVENTIONS[convention]
    names, parents, positions = build_skeleton(spec)
    found = detect_bone_map_from_names([f"node{i}" for i in range(len(names))], parents, positions)
    want = expected_names(expected)
    for bone in REQUIRED_BONES:
        assert names[found[bone]] == want[bone], bone


@pytest.mark.parametrize("name, expected", [
    ("mixamorig:LeftForeArm", ("left", "LowerArm")), ("Bip01 R Thigh", ("right", "UpperLeg")),
    ("J_Bip_L_UpperArm", ("left", "UpperArm")), ("lfemur", ("left", "UpperLeg")), ("rhumerus", ("right", "UpperArm")),
    ("thigh_l", ("left", "UpperLeg")), ("calf_r", ("right", "LowerLeg")), ("lShldrBend", ("left", "UpperArm")),
    ("LeftHip", ("left", "UpperLeg")), ("RightKnee", ("right", "LowerLeg")), ("upper_arm.L", ("left", "UpperArm")),
    ("leftUpperLeg", ("left", "UpperLeg")), ("LEFT_FOOT", ("left", "Foot")), ("ball_l", ("left", "Toes")),
])
def test_single_names(name, expected):
    side, role, _, _ = classify_name(name)
    assert (side, role) == expected


@pytest.mark.parametrize("name", ["LHipJoint", "HeadTop_End", "upperarm_twist_01_l", "ik_foot_l", "Armature",
                                  "lowerback_End", "LeftForeArmRoll"])
def test_helper_nodes_are_not_bones(name):
    found = classify_name(name)
    assert found is None or found[1] == "ignore"


def test_cesium_man():
    path = SHARED / "gltf" / "CesiumMan.glb"
    if not path.exists():
        pytest.skip(f"{path} is not beside the checkout")
    asset = load_model(path)
    found = {bone: asset.nodes[node].name for bone, node in detect_bone_map(asset).items()}
    assert found == {
        "hips": "Skeleton_torso_joint_1", "spine": "Skeleton_torso_joint_2", "chest": "torso_joint_3",
        "neck": "Skeleton_neck_joint_1", "head": "Skeleton_neck_joint_2",
        "leftUpperLeg": "leg_joint_L_1", "leftLowerLeg": "leg_joint_L_2", "leftFoot": "leg_joint_L_3",
        "leftToes": "leg_joint_L_5", "rightUpperLeg": "leg_joint_R_1", "rightLowerLeg": "leg_joint_R_2",
        "rightFoot": "leg_joint_R_3", "rightToes": "leg_joint_R_5",
        "leftUpperArm": "Skeleton_arm_joint_L__4_", "leftLowerArm": "Skeleton_arm_joint_L__3_",
        "leftHand": "Skeleton_arm_joint_L__2_", "rightUpperArm": "Skeleton_arm_joint_R",
        "rightLowerArm": "Skeleton_arm_joint_R__2_", "rightHand": "Skeleton_arm_joint_R__3_",
    }
    # The Z_UP root turns it upright: the left leg really is on +x.
    nameless = copy.deepcopy(asset)
    for index, node in enumerate(nameless.nodes):
        node.name = f"n{index}"
    assert {b: n for b, n in detect_bone_map(nameless).items() if b in REQUIRED_BONES} == \
        {b: n for b, n in detect_bone_map(asset).items() if b in REQUIRED_BONES}


def test_mannequin_declared_map_and_a_nameless_copy():
    asset = load_model(MANNEQUIN)
    declared = detect_bone_map(asset)
    assert declared["leftLittleProximal"] == asset.humanoid_bones["leftPinkyProximal"]  # Pinky -> Little
    assert all(bone in declared for bone in REQUIRED_BONES)
    by_names = copy.deepcopy(asset)
    by_names.humanoid_bones = {}
    assert detect_bone_map(by_names) == declared  # Mixamo names alone give the same map
    nameless = copy.deepcopy(by_names)
    for index, node in enumerate(nameless.nodes):
        node.name = f"joint_{index}"
    found = detect_bone_map(nameless)
    for bone in REQUIRED_BONES + ("spine", "chest", "upperChest", "neck", "leftFoot", "rightToes", "leftHand"):
        assert found[bone] == declared[bone], bone


def test_vrm0_thumbs_are_renamed():
    vrm0 = {"hips": 0, "leftThumbProximal": 1, "leftThumbIntermediate": 2, "leftThumbDistal": 3,
            "leftLittleProximal": 4, "rightPinkyDistal": 5, "unknownBone": 6}
    assert canonical_humanoid_map(vrm0) == {"hips": 0, "leftThumbMetacarpal": 1, "leftThumbProximal": 2,
                                            "leftThumbDistal": 3, "leftLittleProximal": 4, "rightLittleDistal": 5}
    vrm1 = {"leftThumbMetacarpal": 1, "leftThumbProximal": 2}
    assert canonical_humanoid_map(vrm1) == vrm1


@pytest.mark.parametrize("relative", ["humanoid/Godette_vrm_v4.vrm", "humanoid/debug_robot.vrm"])
def test_vrm_files(relative):
    path = SHARED / relative
    if not path.exists():
        pytest.skip(f"{path} is not beside the checkout")
    asset = load_model(path)
    found = detect_bone_map(asset)
    assert all(bone in found for bone in REQUIRED_BONES)
    assert "leftThumbMetacarpal" in found and "leftThumbIntermediate" not in found
    # Left really is +x after loading (VRM 0.x avatars are turned to face +Z).
    from engine.capture.humanoid import rest_world_matrices

    x = rest_world_matrices(asset)[:, 3, 0]
    assert x[found["leftUpperLeg"]] > x[found["rightUpperLeg"]]


def test_override_wins_and_bad_overrides_are_errors():
    spec, _ = CONVENTIONS["mixamo"]
    names, parents, positions = build_skeleton(spec)
    asset = as_asset(names, parents, positions)
    found = detect_bone_map(asset, override={"neck": "mixamorig:Spine2", "upperChest": "mixamorig:Neck"})
    assert names[found["neck"]] == "mixamorig:Spine2" and names[found["upperChest"]] == "mixamorig:Neck"
    with pytest.raises(AssetError, match="no node named 'Nope'"):
        detect_bone_map(asset, override={"head": "Nope"})
    with pytest.raises(AssetError, match="unknown humanoid bone 'noggin'"):
        detect_bone_map(asset, override={"noggin": "mixamorig:Head"})


def test_missing_bones_name_the_file_and_the_bones():
    names = ["Root", "Tail1", "Tail2", "Tail3"]
    asset = as_asset(names, np.array([-1, 0, 1, 2]), np.array([[0, 0, 0], [0, 0, -1], [0, 0, -2], [0, 0, -3.0]]),
                     path="dragon.glb")
    with pytest.raises(AssetError) as raised:
        detect_bone_map(asset)
    message = str(raised.value)
    assert message.startswith("dragon.glb:") and "head" in message and "leftUpperArm" in message
    assert "\n" not in message


def test_a_bvh_skeleton_is_mapped_like_a_rig():
    path = SHARED / "bvh" / "cmu_131_01_walk.bvh"
    if not path.exists():
        pytest.skip(f"{path} is not beside the checkout")
    from engine.capture.bvh import read_bvh

    motion = read_bvh(path)
    found = {bone: motion.names[joint] for bone, joint in detect_bone_map(motion).items()}
    assert {bone: found[bone] for bone in ("hips", "spine", "chest", "neck", "head", "leftShoulder",
                                           "leftUpperArm", "leftLowerArm", "leftHand", "rightUpperLeg",
                                           "rightLowerLeg", "rightFoot", "rightToes")} == {
        "hips": "Hips", "spine": "Chest", "chest": "Chest2", "neck": "Neck", "head": "Head",
        "leftShoulder": "LeftCollar", "leftUpperArm": "LeftShoulder", "leftLowerArm": "LeftElbow",
        "leftHand": "LeftWrist", "rightUpperLeg": "RightHip", "rightLowerLeg": "RightKnee", "rightFoot": "RightAnkle",
        "rightToes": "RightToe"}
    assert motion.bone_map() == detect_bone_map(motion)
    assert motion.names[motion.bone_map({"neck": "lowerneck"})["neck"]] == "lowerneck"
