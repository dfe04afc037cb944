"""Retargeting: known joint angles recovered, the CMU walk on two rigs checked numerically, live = clip, gaps,
MediaPipe landmarks (mirror convention), fingers, and BVH files in other conventions end to end."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest

from engine.assets.mesh_loader import load_model
from engine.capture.bvh import read_bvh
from engine.errors import InputError
from engine.math_kernels import pose_matrices
from systems.capture.retarget import (
    HINGE_LIMITS_DEG,
    HumanoidMotion,
    LiveRetargeter,
    RetargetCalibration,
    RigTarget,
    finger_curl_spread,
    humanoid_motion_from_bvh,
    humanoid_motion_from_landmarks,
    retarget_clip,
    retarget_motion,
    solve_pose,
)

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "assets"
CMU_WALK = SHARED / "bvh" / "cmu_131_01_walk.bvh"
CESIUM_MAN = SHARED / "gltf" / "CesiumMan.glb"
MANNEQUIN_A = ROOT / "assets" / "characters" / "mannequin_a.glb"
MANNEQUIN_B = ROOT / "assets" / "characters" / "mannequin_b.glb"


# ---------------------------------------------------------------------------------------------------------------
# Small independent helpers (quaternions xyzw, q1 * q2 applies q2 first)


def qmul(a, b):
    ax, ay, az, aw = np.moveaxis(np.asarray(a, float), -1, 0)
    bx, by, bz, bw = np.moveaxis(np.asarray(b, float), -1, 0)
    return np.stack([aw * bx + ax * bw + ay * bz - az * by, aw * by - ax * bz + ay * bw + az * bx,
                     aw * bz + ax * by - ay * bx + az * bw, aw * bw - ax * bx - ay * by - az * bz], axis=-1)


def qconj(q):
    return np.asarray(q, float) * [-1, -1, -1, 1]


def qrot(q, v):
    q = np.asarray(q, float)
    t = 2 * np.cross(q[..., :3], v)
    return v + q[..., 3:] * t + np.cross(q[..., :3], t)


def about(axis, degrees):
    half = np.radians(degrees) / 2
    return np.array([*(np.asarray(axis, float) * np.sin(half)), np.cos(half)])


def angle_deg(a, b):
    """Angle of the rotation between two quaternions (arrays), degrees."""
    return np.degrees(2 * np.arccos(np.clip(np.abs(np.sum(np.asarray(a) * b, axis=-1)), 0, 1)))


def forward_kinematics(rig: RigTarget, local, hips_translation):
    """World rotations and positions (F, N, ...) of every node from local rotations and the hips translation."""
    frames = local.shape[0]
    translation = np.broadcast_to(rig.rest_translation, (frames, rig.node_count, 3)).copy()
    translation[:, rig.hips_node] = hips_translation
    world_rot = np.zeros_like(local)
    world_pos = np.zeros_like(translation)
    for node, parent in enumerate(rig.parents):
        if parent < 0:
            world_rot[:, node], world_pos[:, node] = local[:, node], translation[:, node]
        else:
            world_rot[:, node] = qmul(world_rot[:, parent], local[:, node])
            world_pos[:, node] = world_pos[:, parent] + qrot(world_rot[:, parent], translation[:, node])
    return world_rot, world_pos


@functools.cache
def rig_of(path: str) -> RigTarget:
    return RigTarget.from_asset(load_model(path))


def joints_of(rig: RigTarget, world_pos, world_rot=None, twist=False):
    """What a capture would see of a posed rig: mapped joint heads, head top, hand tips (+ twist hints)."""
    joints = {bone: world_pos[:, node] for bone, node in rig.bone_map.items()}
    joints["headTop"] = world_pos[:, rig.names.index("HeadTop_End")]
    for side in ("left", "right"):
        joints[f"{side}HandTip"] = world_pos[:, rig.bone_map[f"{side}MiddleProximal"]]
    hints = {}
    if twist:
        for bone in ("hips", "spine", "chest", "upperChest", "neck", "head", "leftHand", "rightHand"):
            node = rig.bone_map[bone]
            hints[bone] = qrot(qmul(world_rot[:, node], qconj(rig.rest_world_rotation[node])), rig.rest_forward)
    return joints, hints


# ---------------------------------------------------------------------------------------------------------------
# Known angles


def test_recovers_known_joint_angles_on_the_mannequin():
    rig = rig_of(str(MANNEQUIN_A))
    bm = rig.bone_map
    posed = {  # the mannequin's rest rotations are identity, so these are its local rotations
        "leftUpperArm": about([0, 0, 1], -45),  # shoulder abduction 45 degrees (arm 45 below horizontal)
        "leftLowerArm": about([0, 1, 0], -90),  # elbow 90 degrees, forearm forward
        "rightUpperArm": qmul(about([0, 0, 1], 30), about([1, 0, 0], -20)),
        "rightLowerArm": about([0, 1, 0], 60),
        "leftUpperLeg": about([1, 0, 0], -30),  # hip flexion
        "leftLowerLeg": about([1, 0, 0], 60),  # knee 60 degrees
        "rightUpperLeg": about([0, 0, 1], -10), "rightLowerLeg": about([1, 0, 0], 25),
        "hips": about([0, 1, 0], 30), "spine": about([1, 0, 0], 10), "chest": about([0, 1, 0], 15),
        "neck": about([0, 0, 1], 10), "head": about([1, 0, 0], -15),
    }
    local = rig.rest_rotation.copy()[None]
    for bone, rotation in posed.items():
        local[0, bm[bone]] = rotation
    world_rot, world_pos = forward_kinematics(rig, local, rig.rest_translation[rig.hips_node][None])
    limbs = [b for b in posed if "Arm" in b or "Leg" in b]
    for use_hints in (False, True):
        joints, hints = joints_of(rig, world_pos, world_rot, twist=use_hints)
        solved = solve_pose(rig, {name: p[0] for name, p in joints.items()},
                            twist={name: h[0] for name, h in hints.items()})
        checked = posed if use_hints else limbs + ["hips"]  # without hints the torso's twist is shared out
        for bone in checked:
            error = angle_deg(solved.local_rotations[bm[bone]], local[0, bm[bone]])
            assert error < 2.0, (bone, use_hints, error)
    # Stated the anatomical way: the elbow bends 90 degrees, the knee 60
    elbow = angle_deg(solved.local_rotations[bm["leftLowerArm"]], [0, 0, 0, 1])
    knee = angle_deg(solved.local_rotations[bm["leftLowerLeg"]], [0, 0, 0, 1])
    assert elbow == pytest.approx(90, abs=2) and knee == pytest.approx(60, abs=2)


def test_rig_target_rest_geometry():
    rig = rig_of(str(MANNEQUIN_A))
    assert np.allclose(rig.rest_forward, [0, 0, 1]) and np.allclose(rig.rest_left, [1, 0, 0])
    assert rig.leg_length == pytest.approx(0.845, abs=0.01) and rig.ankle_height == pytest.approx(0.08, abs=0.01)
    assert rig.names[rig.hips_node] == "Hips" and rig.hips_node in rig.solve_nodes
    assert np.allclose(rig.rest_directions["leftUpperArm"], [1, 0, 0]) and np.allclose(
        rig.rest_directions["rightLowerLeg"], [0, -1, 0])
    assert rig.bone_lengths["leftLowerArm"] == pytest.approx(0.255, abs=1e-3)
    assert rig.names.index("Body") not in rig.solve_nodes  # mesh nodes are not driven
    # knees bend about +x (shin backwards), elbows about -y / +y (forearm forwards)
    assert np.allclose(rig.rest_hinges[("left", "leg")][1], [1, 0, 0], atol=1e-6)
    assert np.allclose(rig.rest_hinges[("left", "arm")][1], [0, -1, 0], atol=1e-6)
    assert np.allclose(rig.rest_hinges[("right", "arm")][1], [0, 1, 0], atol=1e-6)


# ---------------------------------------------------------------------------------------------------------------
# The mannequin's own walk, with root motion, as a capture that needs no third-party files


@functools.cache
def mannequin_walk() -> HumanoidMotion:
    rig = rig_of(str(MANNEQUIN_A))
    clip = next(c for c in load_model(MANNEQUIN_A).animations if c.name == "walk")
    times = max((c.times for c in clip.channels), key=len).astype(float)
    local = np.broadcast_to(rig.rest_rotation, (len(times), rig.node_count, 4)).copy()
    hips = np.broadcast_to(rig.rest_translation[rig.hips_node], (len(times), 3)).copy()
    for channel in clip.channels:
        values = channel.values if len(channel.times) == len(times) else np.repeat(channel.values[:1], len(times), 0)
        if channel.path == "rotation":
            local[:, channel.node] = values
        elif channel.path == "translation" and channel.node == rig.hips_node:
            hips = values.astype(float)
    # Two cycles, walking forward at the clip's own speed so the feet stay planted in the world
    cycle = times[-1]
    times = np.concatenate([times[:-1], times + cycle])
    local = np.concatenate([local[:-1], local])
    hips = np.concatenate([hips[:-1], hips]) + np.outer(times * clip.extras["forwardSpeed"], [0, 0, 1])
    world_rot, world_pos = forward_kinematics(rig, local, hips)
    joints, hints = joints_of(rig, world_pos, world_rot, twist=True)
    return HumanoidMotion(times, joints, twist=hints)


def test_walk_onto_itself_gives_back_the_clip():
    rig = rig_of(str(MANNEQUIN_A))
    motion = mannequin_walk()
    pose = retarget_motion(motion, rig, contacts=False)
    _, world = forward_kinematics(rig, pose.local_rotations, pose.hips_translation)
    body = {bone: node for bone, node in rig.bone_map.items()
            if not any(finger in bone for finger in ("Thumb", "Index", "Middle", "Ring", "Little"))}
    errors = {bone: np.linalg.norm(world[:, node] - motion.joints[bone], axis=-1).max() for bone, node in body.items()}
    # Exact but for the wrists: the walk's elbows are bent only ~12 degrees, where the bend plane is taken partly
    # from the default pole (a straight limb's plane is noise), which moves the wrist by a few millimetres.
    assert max(errors.values()) < 5e-3, errors
    assert max(e for bone, e in errors.items() if not bone.endswith("Hand")) < 1e-5, errors
    assert RetargetCalibration.from_motion(motion.joints, rig).scale == pytest.approx(1.0)


def test_live_retargeter_gives_the_clip_results():
    rig = rig_of(str(MANNEQUIN_B))
    motion = mannequin_walk()
    calibration = RetargetCalibration.from_motion(motion.joints, rig)
    pose = retarget_motion(motion, rig, calibration=calibration)
    live = LiveRetargeter(rig, calibration)
    for index in range(motion.frame_count):
        frame = live.update(**motion.frame(index))
        assert angle_deg(frame.local_rotations, pose.local_rotations[index]).max() < 1e-4
        assert np.allclose(frame.hips_translation, pose.hips_translation[index], atol=1e-9)
        assert np.array_equal(frame.contacts, pose.contacts[index])
    assert pose.contacts.any(axis=0).all()  # both feet were planted at some point


def test_clip_layout_matches_the_solved_pose():
    rig = rig_of(str(MANNEQUIN_B))
    motion = mannequin_walk()
    clip = retarget_clip(motion, rig, "walk_b")
    pose = retarget_motion(motion, rig)
    assert clip.name == "walk_b" and clip.duration == pytest.approx(motion.times[-1] - motion.times[0], abs=1e-5)
    rotations = {c.node: c for c in clip.channels if c.path == "rotation"}
    translations = [c for c in clip.channels if c.path == "translation"]
    assert sorted(rotations) == sorted(rig.solve_nodes.tolist())
    assert len(translations) == 1 and translations[0].node == rig.hips_node
    assert all(c.interpolation == "LINEAR" and c.times[0] == 0.0 and c.values.dtype == np.float32
               for c in clip.channels)
    # Sampling the clip at its keys and running the engine's own pose kernel reproduces the solved world pose
    count = rig.node_count
    for index in (0, 17, motion.frame_count - 1):
        translation = rig.rest_translation.astype(np.float32).copy()
        rotation = rig.rest_rotation.astype(np.float32).copy()
        for node, channel in rotations.items():
            rotation[node] = channel.values[min(index, len(channel.values) - 1)]
        translation[rig.hips_node] = translations[0].values[index]
        model = np.zeros((count, 4, 4), np.float32)
        pose_matrices(translation, rotation, np.ones((count, 3), np.float32), rig.parents.astype(np.int32), model,
                      count)
        assert np.allclose(model[:, 3, :3], pose.world_positions[index], atol=1e-4)
    # neighbouring keys share a hemisphere (short interpolation paths)
    for channel in rotations.values():
        assert np.all(np.sum(channel.values[1:] * channel.values[:-1], axis=-1) > 0)


def test_untracked_joints_hold_their_last_pose():
    rig = rig_of(str(MANNEQUIN_A))
    motion = mannequin_walk()
    gap = slice(10, 20)
    joints = {name: values.copy() for name, values in motion.joints.items()}
    joints["leftLowerArm"][gap] = np.nan
    confidence = {"rightLowerLeg": np.ones(motion.frame_count)}
    confidence["rightLowerLeg"][gap] = 0.0
    held = HumanoidMotion(motion.times, joints, confidence, motion.twist)
    pose = retarget_motion(held, rig, contacts=False)
    assert np.all(np.isfinite(pose.local_rotations)) and np.all(np.isfinite(pose.world_positions))
    for bone in ("leftUpperArm", "leftLowerArm", "rightUpperLeg", "rightLowerLeg"):
        node = rig.bone_map[bone]
        assert angle_deg(pose.local_rotations[gap, node], pose.local_rotations[9, node]).max() < 1e-9, bone
    # Tracking resumes afterwards
    full = retarget_motion(motion, rig, contacts=False)
    assert angle_deg(pose.local_rotations[25:], full.local_rotations[25:]).max() < 1e-4


def test_walk_onto_the_smaller_mannequin_keeps_feet_planted():
    rig = rig_of(str(MANNEQUIN_B))
    motion = mannequin_walk()
    checks = walk_checks(motion, rig, retarget_motion(motion, rig))
    assert checks["slide_m"] < 0.02 and checks["knee_offset_min_m"] > -1e-3 and checks["elbow_offset_min_m"] > -1e-3
    assert checks["facing_cos_min"] > 0.95 and checks["planted_foot_cos_min"] > 0.7
    assert checks["travel_ratio"] == pytest.approx(1.0, abs=0.02)


# ---------------------------------------------------------------------------------------------------------------
# The real CMU walk onto the mannequin and onto CesiumMan


def walk_checks(motion: HumanoidMotion, rig: RigTarget, pose) -> dict[str, float]:
    """The numbers the acceptance checks look at (see test_cmu_walk)."""
    bm, world_rot, world_pos, times = rig.bone_map, pose.world_rotations, pose.world_positions, pose.times
    out = {}

    def delta(bone):
        node = bm[bone]
        return qmul(world_rot[:, node], qconj(rig.rest_world_rotation[node]))

    slides = [np.linalg.norm(world_pos[:, bm[f"{side}Foot"]] - pose.anchors[:, index], axis=-1)
              [pose.contacts[:, index]] for index, side in enumerate(("left", "right"))]
    out["slide_m"] = float(max(s.max() for s in slides))
    out["contact_fraction"] = float(pose.contacts.mean())
    # A knee (elbow) sits on the forward (backward) side of the hip-ankle (shoulder-wrist) line, as seen by the
    # thigh (upper arm) itself; bends stay within the hinge limits.
    limbs = (("knee", ("UpperLeg", "LowerLeg", "Foot"), 1.0), ("elbow", ("UpperArm", "LowerArm", "Hand"), -1.0))
    for limb, parts, pole in limbs:
        offsets, bends = [], []
        for side in ("left", "right"):
            a, b, c = (world_pos[:, bm[f"{side}{part}"]] for part in parts)
            line = (c - a) / np.linalg.norm(c - a, axis=-1, keepdims=True)
            off = (b - a) - np.sum((b - a) * line, -1)[:, None] * line
            offsets.append(np.sum(off * qrot(delta(f"{side}{parts[0]}"), pole * rig.rest_forward), -1))
            upper, lower = b - a, c - b
            cos = np.sum(upper * lower, -1) / np.linalg.norm(upper, axis=-1) / np.linalg.norm(lower, axis=-1)
            bends.append(np.degrees(np.arccos(np.clip(cos, -1, 1))))
        out[f"{limb}_offset_min_m"] = float(min(o.min() for o in offsets))
        out[f"{limb}_bend_max_deg"] = float(max(b.max() for b in bends))
    # Facing the direction of travel while walking (source hips faster than 1 m/s, 0.5 s central differences)
    facing = qrot(delta("hips"), rig.rest_forward)[:, [0, 2]]
    facing /= np.linalg.norm(facing, axis=-1, keepdims=True)
    step = max(1, round(0.25 / np.median(np.diff(times))))
    source_hips, hips = motion.joints["hips"], world_pos[:, bm["hips"]]
    velocity = np.zeros_like(hips)
    velocity[step:-step] = hips[2 * step:] - hips[:-2 * step]
    source_speed = np.zeros(len(times))
    source_speed[step:-step] = np.linalg.norm((source_hips[2 * step:] - source_hips[:-2 * step])[:, [0, 2]], axis=-1) \
        / (times[2 * step:] - times[:-2 * step])
    walking = source_speed > 1.0
    travel = velocity[:, [0, 2]] / np.maximum(np.linalg.norm(velocity[:, [0, 2]], axis=-1, keepdims=True), 1e-12)
    out["walking_frames"] = int(walking.sum())
    out["facing_cos_min"] = float(np.sum(facing * travel, -1)[walking].min())
    # Planted feet point where the body faces
    cosines = []
    for index, side in enumerate(("left", "right")):
        foot = (world_pos[:, bm[f"{side}Toes"]] - world_pos[:, bm[f"{side}Foot"]])[:, [0, 2]]
        foot /= np.linalg.norm(foot, axis=-1, keepdims=True)
        planted = pose.contacts[:, index] & walking
        cosines.append(np.sum(foot * facing, -1)[planted])
    out["planted_foot_cos_min"] = float(min(c.min() for c in cosines))
    out["head_above_hips_min_m"] = float((world_pos[:, bm["head"], 1] - hips[:, 1]).min())
    # The hip-joint centre's horizontal path, against the source's scaled by the leg-length ratio
    scale = RetargetCalibration.from_motion(motion.joints, rig).scale
    source_centre = 0.5 * (motion.joints["leftUpperLeg"] + motion.joints["rightUpperLeg"])
    centre = 0.5 * (world_pos[:, bm["leftUpperLeg"]] + world_pos[:, bm["rightUpperLeg"]])
    source_path = np.linalg.norm(np.diff(source_centre[:, [0, 2]], axis=0), axis=-1).sum() * scale
    out["travel_ratio"] = float(np.linalg.norm(np.diff(centre[:, [0, 2]], axis=0), axis=-1).sum() / source_path)
    out["lowest_ankle_m"] = float(min(world_pos[:, bm[f"{s}Foot"], 1].min() for s in ("left", "right")))
    return out


@pytest.mark.parametrize("target", [MANNEQUIN_A, CESIUM_MAN], ids=["mannequin_a", "CesiumMan"])
def test_cmu_walk(target):
    for path in (CMU_WALK, target):
        if not path.exists():
            pytest.skip(f"{path} is not beside the checkout")
    rig = rig_of(str(target))
    motion = humanoid_motion_from_bvh(read_bvh(CMU_WALK))
    pose = retarget_motion(motion, rig)
    checks = walk_checks(motion, rig, pose)
    assert checks["slide_m"] < 0.02  # planted feet stay within 2 cm of where they touched down
    assert 0.15 < checks["contact_fraction"] < 0.7
    assert checks["knee_offset_min_m"] > -1e-3  # knees bend forward only
    assert checks["knee_bend_max_deg"] < HINGE_LIMITS_DEG["leg"][1] + 0.5
    assert checks["elbow_offset_min_m"] > -1e-3 and checks["elbow_bend_max_deg"] < HINGE_LIMITS_DEG["arm"][1] + 0.5
    assert checks["walking_frames"] > 100 and checks["facing_cos_min"] > 0.9  # faces where it walks
    assert checks["planted_foot_cos_min"] > 0.6  # planted feet point forward (within ~50 degrees)
    assert checks["head_above_hips_min_m"] > 0.3 * rig.leg_length
    assert checks["travel_ratio"] == pytest.approx(1.0, abs=0.02)  # hips travel the source path x leg ratio
    assert checks["lowest_ankle_m"] > 0.5 * rig.ankle_height  # nothing sinks through the floor
    assert np.all(np.isfinite(pose.local_rotations))


# ---------------------------------------------------------------------------------------------------------------
# BVH files in other conventions, units and facings, end to end

ASF_NAMES = {"Hips": "root", "Spine": "lowerback", "Spine1": "upperback", "Spine2": "thorax", "Neck": "lowerneck",
             "Head": "head", "HeadTop_End": None, "LeftShoulder": "lclavicle", "LeftArm": "lhumerus",
             "LeftForeArm": "lradius", "LeftHand": "lwrist", "LeftUpLeg": "lfemur", "LeftLeg": "ltibia",
             "LeftFoot": "lfoot", "LeftToeBase": "ltoes"}
DAZ_NAMES = {"Hips": "hip", "Spine": "abdomen", "Spine1": "abdomen2", "Spine2": "chest", "Neck": "neck",
             "Head": "head", "HeadTop_End": None, "LeftShoulder": "lCollar", "LeftArm": "lShldr",
             "LeftForeArm": "lForeArm", "LeftHand": "lHand", "LeftUpLeg": "lThigh", "LeftLeg": "lShin",
             "LeftFoot": "lFoot", "LeftToeBase": "lToe"}


def euler_xyz_degrees(q):
    """Angles (x, y, z) with R = Rx @ Ry @ Rz."""
    x, y, z, w = q
    r01, r02 = 2 * (x * y - z * w), 2 * (x * z + y * w)
    r00, r12, r22 = 1 - 2 * (y * y + z * z), 2 * (y * z - x * w), 1 - 2 * (x * x + y * y)
    return np.degrees([np.arctan2(-r12, r22), np.arcsin(np.clip(r02, -1, 1)), np.arctan2(-r01, r00)])


def write_convention_bvh(path, rig, names, local, hips, units_per_metre, turn):
    """The mannequin's body joints as a BVH: renamed, in other units, XYZ channel order, the whole skeleton turned
    by the quaternion `turn` (a half turn about Y makes it face -Z with its left on -X). `names` maps the
    mannequin's centre and left joints to the convention's (the right side swaps the leading l for r); None
    makes the joint an End Site."""
    renamed = {}  # mannequin node -> BVH name (None for End Sites)
    for mixamo, new in names.items():
        renamed[rig.names.index(mixamo)] = new
        if mixamo.startswith("Left"):
            renamed[rig.names.index("Right" + mixamo[4:])] = "r" + new[1:]
    lines = ["HIERARCHY"]
    order = []  # nodes in channel order

    def emit(node, depth):
        pad = "  " * depth
        parent = rig.parents[node]
        rest = rig.rest_world_position[node] - (rig.rest_world_position[parent] if depth else 0.0)
        x, y, z = qrot(turn, rest) * units_per_metre
        if renamed[node] is None:
            lines.extend([f"{pad}End Site", f"{pad}{{", f"{pad}  OFFSET {x} {y} {z}", f"{pad}}}"])
            return
        keyword, channels = ("ROOT", "6 Xposition Yposition Zposition") if depth == 0 else ("JOINT", "3")
        lines.extend([f"{pad}{keyword} {renamed[node]}", f"{pad}{{", f"{pad}  OFFSET {x} {y} {z}",
                      f"{pad}  CHANNELS {channels} Xrotation Yrotation Zrotation"])
        order.append(node)
        for child in sorted(n for n in renamed if rig.parents[n] == node):
            emit(child, depth + 1)
        lines.append(f"{pad}}}")

    emit(rig.hips_node, 0)
    lines += ["MOTION", f"Frames: {len(local)}", "Frame Time: 0.0333333"]
    for frame in range(len(local)):
        values = list(qrot(turn, hips[frame]) * units_per_metre)
        for node in order:
            values += list(euler_xyz_degrees(qmul(qmul(turn, local[frame, node]), qconj(turn))))
        lines.append(" ".join(f"{v:.6f}" for v in values))
    Path(path).write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("names, units, units_per_metre, facing", [
    (ASF_NAMES, "cm", 100.0, "+z"), (DAZ_NAMES, "inch", 1 / 0.0254, "-z"), (ASF_NAMES, "mm", 1000.0, "-z"),
])
def test_bvh_in_other_conventions_retargets_to_the_same_angles(tmp_path, names, units, units_per_metre, facing):
    rig = rig_of(str(MANNEQUIN_A))
    bm = rig.bone_map
    posed = {"leftUpperArm": about([0, 0, 1], -45), "leftLowerArm": about([0, 1, 0], -90),
             "rightUpperArm": about([0, 0, 1], 70), "rightLowerArm": about([0, 1, 0], 40),
             "leftUpperLeg": about([1, 0, 0], -40), "leftLowerLeg": about([1, 0, 0], 60),
             "rightLowerLeg": about([1, 0, 0], 20), "hips": about([0, 1, 0], 25)}
    local = np.broadcast_to(rig.rest_rotation, (2, rig.node_count, 4)).copy()
    for bone, rotation in posed.items():
        local[1, bm[bone]] = rotation
    hips = np.array([rig.rest_translation[rig.hips_node]] * 2) + [[0, 0, 0], [0.3, -0.05, 0.2]]
    turn = about([0, 1, 0], 180 if facing == "-z" else 0)
    write_convention_bvh(tmp_path / "take.bvh", rig, names, local, hips, units_per_metre, turn)
    bvh = read_bvh(tmp_path / "take.bvh")
    assert bvh.units == units
    motion = humanoid_motion_from_bvh(bvh)
    assert np.allclose(motion.joints["hips"], hips, atol=1e-4)  # metres, facing +Z again
    pose = retarget_motion(motion, rig, contacts=False)
    for bone, rotation in posed.items():
        assert angle_deg(pose.local_rotations[1, bm[bone]], rotation) < 2.0, bone


# ---------------------------------------------------------------------------------------------------------------
# MediaPipe landmarks


def to_mediapipe(points):
    """Engine-frame points -> MediaPipe world axes (x right, y down, z away from the camera)."""
    return np.asarray(points) * [1.0, -1.0, -1.0]


def mediapipe_pose(rig, world_pos):
    """(F, 33, 4) world landmarks of a posed rig, origin between the hips, the performer facing the camera."""
    bm = rig.bone_map
    frames = world_pos.shape[0]
    landmarks = np.zeros((frames, 33, 4))
    landmarks[..., 3] = 0.99

    def put(index, points):
        landmarks[:, index, :3] = points

    head = world_pos[:, bm["head"]]
    put(0, head + [0, 0.06, 0.1])
    put(7, head + [0.075, 0.05, 0.0])
    put(8, head + [-0.075, 0.05, 0.0])
    for side, offset in (("left", 0), ("right", 1)):
        put(11 + offset, world_pos[:, bm[f"{side}UpperArm"]])
        put(13 + offset, world_pos[:, bm[f"{side}LowerArm"]])
        put(15 + offset, world_pos[:, bm[f"{side}Hand"]])
        put(17 + offset, world_pos[:, bm[f"{side}LittleProximal"]])
        put(19 + offset, world_pos[:, bm[f"{side}IndexProximal"]])
        put(21 + offset, world_pos[:, bm[f"{side}ThumbProximal"]])
        put(23 + offset, world_pos[:, bm[f"{side}UpperLeg"]])
        put(25 + offset, world_pos[:, bm[f"{side}LowerLeg"]])
        put(27 + offset, world_pos[:, bm[f"{side}Foot"]])
        put(29 + offset, world_pos[:, bm[f"{side}Foot"]] + [0, -0.06, -0.05])
        put(31 + offset, world_pos[:, bm[f"{side}Toes"]])
    hips = 0.5 * (landmarks[:, 23, :3] + landmarks[:, 24, :3])
    landmarks[..., :3] -= hips[:, None]
    landmarks[..., :3] = to_mediapipe(landmarks[..., :3])
    return landmarks


def test_mediapipe_right_hand_up_raises_the_characters_right_hand():
    rig = rig_of(str(MANNEQUIN_A))
    bm = rig.bone_map
    local = np.broadcast_to(rig.rest_rotation, (3, rig.node_count, 4)).copy()
    for frame in range(3):  # the performer's right arm straight up, the left hanging down
        local[frame, bm["rightUpperArm"]] = about([0, 0, 1], -85)
        local[frame, bm["leftUpperArm"]] = about([0, 0, 1], -80)
        local[frame, bm["rightLowerArm"]] = about([0, 1, 0], 20)
    _, world_pos = forward_kinematics(rig, local, np.array([rig.rest_translation[rig.hips_node]] * 3))
    landmarks = mediapipe_pose(rig, world_pos)
    assert landmarks[0, 16, 0] < 0 and landmarks[0, 16, 1] < landmarks[0, 0, 1]  # image left, above the nose
    times = np.arange(3) / 30
    for mirrored, raised, lowered in ((False, "right", "left"), (True, "left", "right")):
        motion = humanoid_motion_from_landmarks(times, landmarks, mirrored=mirrored)
        pose = retarget_motion(motion, rig)
        head_y = pose.world_positions[:, bm["head"], 1]
        assert np.all(pose.world_positions[:, bm[f"{raised}Hand"], 1] > head_y + 0.2)
        assert np.all(pose.world_positions[:, bm[f"{lowered}Hand"], 1] < pose.world_positions[:, bm["hips"], 1] + 0.2)
        # facing the camera (+Z) and standing on the floor
        facing = qrot(qmul(pose.world_rotations[:, bm["hips"]], qconj(rig.rest_world_rotation[bm["hips"]])),
                      rig.rest_forward)
        assert np.all(facing[:, 2] > 0.95)
        assert np.allclose(pose.world_positions[:, bm["leftFoot"], 1], rig.ankle_height, atol=0.03)


def test_mediapipe_low_visibility_is_untracked():
    rig = rig_of(str(MANNEQUIN_A))
    local = np.broadcast_to(rig.rest_rotation, (4, rig.node_count, 4)).copy()
    local[:, rig.bone_map["leftLowerArm"]] = about([0, 1, 0], -60)
    local[2:, rig.bone_map["leftLowerArm"]] = about([0, 1, 0], -10)
    _, world_pos = forward_kinematics(rig, local, np.array([rig.rest_translation[rig.hips_node]] * 4))
    landmarks = mediapipe_pose(rig, world_pos)
    landmarks[2:, 15, 3] = 0.0  # the left wrist is lost for the last two frames
    pose = retarget_motion(humanoid_motion_from_landmarks(np.arange(4) / 30, landmarks), rig, contacts=False)
    node = rig.bone_map["leftLowerArm"]
    assert angle_deg(pose.local_rotations[2:, node], pose.local_rotations[1, node]).max() < 1e-9


# ---------------------------------------------------------------------------------------------------------------
# Fingers


def hand_landmarks(rig, world_rot, world_pos, side):
    """(F, 21, 3) MediaPipe-ordered hand points of a posed rig's hand; fingertips 2 cm along each last bone."""
    bm = rig.bone_map
    out = [world_pos[:, bm[f"{side}Hand"]]]
    for finger, segments in (("Thumb", ("Metacarpal", "Proximal", "Distal")),) + tuple(
            (f, ("Proximal", "Intermediate", "Distal")) for f in ("Index", "Middle", "Ring", "Little")):
        nodes = [bm[f"{side}{finger}{s}"] for s in segments]
        out.extend(world_pos[:, node] for node in nodes)
        rest_direction = rig.rest_world_position[nodes[2]] - rig.rest_world_position[nodes[1]]
        turn = qmul(world_rot[:, nodes[2]], qconj(rig.rest_world_rotation[nodes[2]]))
        out.append(world_pos[:, nodes[2]] + 0.02 * qrot(turn, rest_direction / np.linalg.norm(rest_direction)))
    return np.stack(out, axis=1)


def finger_axis(rig, side, finger):
    """A mannequin finger's bend axis: across its own direction, palm down (-Y) in the T-pose; curling is a
    positive turn about it (the mannequin's rest rotations are identity, so this is also the local axis)."""
    direction = (rig.rest_points[f"{side}{finger}Intermediate"] - rig.rest_points[f"{side}{finger}Proximal"])
    axis = np.cross(direction, [0.0, -1.0, 0.0])
    return axis / np.linalg.norm(axis)


def test_finger_curl_and_spread_round_trip():
    rig = rig_of(str(MANNEQUIN_A))
    bm = rig.bone_map
    curls = {"Index": (30, 45, 20), "Middle": (60, 80, 40), "Ring": (5, 10, 5), "Little": (0, 0, 0)}
    local = rig.rest_rotation.copy()[None]
    for side in ("left", "right"):
        for finger, angles in curls.items():
            for segment, degrees in zip(("Proximal", "Intermediate", "Distal"), angles):
                local[0, bm[f"{side}{finger}{segment}"]] = about(finger_axis(rig, side, finger), degrees)
        # the index finger also swings 10 degrees towards the thumb (+Z on both hands) before it curls
        towards_thumb = about([0, -1 if side == "left" else 1, 0], 10)
        local[0, bm[f"{side}IndexProximal"]] = qmul(towards_thumb, local[0, bm[f"{side}IndexProximal"]])
    world_rot, world_pos = forward_kinematics(rig, local, rig.rest_translation[rig.hips_node][None])
    rest_hand = hand_landmarks(rig, rig.rest_world_rotation[None], rig.rest_world_position[None], "left")
    rest_curl, rest_spread = finger_curl_spread(rest_hand, "left")
    for side in ("left", "right"):
        hand = hand_landmarks(rig, world_rot, world_pos, side)
        curl, spread = finger_curl_spread(hand, side)
        for f, finger in enumerate(("Thumb", "Index", "Middle", "Ring", "Little")):
            expected = np.radians(curls.get(finger, (0, 0, 0))) + rest_curl[0, f]
            assert np.allclose(curl[0, f], expected, atol=np.radians(0.5)), (side, finger)
        spread_change = np.degrees(spread - rest_spread)[0]
        assert np.allclose(spread_change, [0, 10, 0, 0, 0], atol=0.5)  # positive towards the thumb, both hands
        # Applied to the rig: the finger bones turn back to the authored curls
        joints, hints = joints_of(rig, world_pos, world_rot, twist=True)
        motion = HumanoidMotion(np.zeros(1), joints, twist=hints, finger_curl={side: curl},
                                finger_spread={side: spread})
        pose = retarget_motion(motion, rig, contacts=False)
        for finger in curls:
            for segment in ("Proximal", "Intermediate", "Distal"):
                node = bm[f"{side}{finger}{segment}"]
                assert angle_deg(pose.local_rotations[0, node], local[0, node]) < 1.0, (side, finger, segment)


def test_mediapipe_hands_feed_the_fingers():
    rig = rig_of(str(MANNEQUIN_A))
    bm = rig.bone_map
    local = np.broadcast_to(rig.rest_rotation, (2, rig.node_count, 4)).copy()
    for segment, degrees in zip(("Proximal", "Intermediate", "Distal"), (50, 70, 30)):
        local[:, bm[f"rightMiddle{segment}"]] = about(finger_axis(rig, "right", "Middle"), degrees)
    world_rot, world_pos = forward_kinematics(rig, local, np.array([rig.rest_translation[rig.hips_node]] * 2))
    landmarks = mediapipe_pose(rig, world_pos)
    hand = hand_landmarks(rig, world_rot, world_pos, "right") + [0.3, 0.1, -0.2]  # hand landmarks: own origin
    hands = {"right": to_mediapipe(hand), "left": None}
    motion = humanoid_motion_from_landmarks(np.arange(2) / 30, landmarks, hands)
    pose = retarget_motion(motion, rig, contacts=False)
    for segment in ("Proximal", "Intermediate", "Distal"):
        node = bm[f"rightMiddle{segment}"]
        assert angle_deg(pose.local_rotations[:, node], local[:, node]).max() < 1.0


# ---------------------------------------------------------------------------------------------------------------
# Upper body only (a performer at a desk): the legs are never seen

UPPER_POSE = {  # local rotations of the mannequin (rest rotations identity): arms, spine lean, head turn
    "leftUpperArm": about([0, 0, 1], -50), "leftLowerArm": about([0, 1, 0], -80),
    "rightUpperArm": qmul(about([0, 0, 1], 40), about([0, 1, 0], 30)), "rightLowerArm": about([0, 1, 0], 45),
    "spine": about([1, 0, 0], 12), "chest": about([0, 0, 1], 5), "head": about([0, 1, 0], 20),
}
LEGS_AND_FEET = range(25, 33)  # MediaPipe knees, ankles, heels, toes
HIPS = (23, 24)


def upper_body_landmarks(frames: int, hide_hips: bool):
    """(posed local rotations, world positions, (F, 33, 4) landmarks) of the mannequin in UPPER_POSE with the legs
    (and the hips) hidden as a stabilised take has them: at the origin with confidence 0."""
    rig = rig_of(str(MANNEQUIN_A))
    local = np.broadcast_to(rig.rest_rotation, (frames, rig.node_count, 4)).copy()
    for bone, rotation in UPPER_POSE.items():
        local[:, rig.bone_map[bone]] = rotation
    world_rot, world_pos = forward_kinematics(rig, local, np.array([rig.rest_translation[rig.hips_node]] * frames))
    landmarks = mediapipe_pose(rig, world_pos)
    # The face turns with the head (`mediapipe_pose` keeps it facing forward)
    head_node = rig.bone_map["head"]
    centre = 0.5 * (world_pos[:, rig.bone_map["leftUpperLeg"]] + world_pos[:, rig.bone_map["rightUpperLeg"]])
    for index, offset in ((0, [0, 0.06, 0.1]), (7, [0.075, 0.05, 0.0]), (8, [-0.075, 0.05, 0.0])):
        point = world_pos[:, head_node] + qrot(world_rot[:, head_node], np.array(offset, float))
        landmarks[:, index, :3] = to_mediapipe(point - centre)
    hidden = list(LEGS_AND_FEET) + (list(HIPS) if hide_hips else [])
    landmarks[:, hidden] = 0.0
    return local, world_pos, landmarks


def shoulder_centre_direction(rig, world_pos):
    bm = rig.bone_map
    shoulders = 0.5 * (world_pos[..., bm["leftUpperArm"], :] + world_pos[..., bm["rightUpperArm"], :])
    hips = 0.5 * (world_pos[..., bm["leftUpperLeg"], :] + world_pos[..., bm["rightUpperLeg"], :])
    return (shoulders - hips) / np.linalg.norm(shoulders - hips, axis=-1, keepdims=True)


@pytest.mark.parametrize("hide_hips", [False, True], ids=["hips seen", "hips hidden"])
def test_upper_body_only_calibrates_from_the_torso(hide_hips):
    rig = rig_of(str(MANNEQUIN_A))
    bm = rig.bone_map
    local, world_pos, landmarks = upper_body_landmarks(3, hide_hips)
    motion = humanoid_motion_from_landmarks(np.arange(3) / 30, landmarks)
    calibration = RetargetCalibration.from_motion(motion.joints, rig, motion.confidence)
    assert calibration.basis == "torso" and np.isnan(calibration.source_ground)
    assert calibration.scale == pytest.approx(1.0, abs=0.02)  # the same mannequin: torso for torso
    pose = retarget_motion(motion, rig)
    assert np.all(np.isfinite(pose.local_rotations)) and np.all(np.isfinite(pose.world_positions))
    # The hip joints stay at the rig's rest position (the hips turn about them where they are seen); the legs keep
    # their rest pose and nothing is planted
    centre = 0.5 * (pose.world_positions[:, bm["leftUpperLeg"]] + pose.world_positions[:, bm["rightUpperLeg"]])
    rest_centre = 0.5 * (rig.rest_points["leftUpperLeg"] + rig.rest_points["rightUpperLeg"])
    assert np.allclose(centre, rest_centre, atol=1e-6)
    if hide_hips:
        assert np.allclose(pose.world_positions[:, bm["hips"]], rig.rest_world_position[bm["hips"]], atol=1e-6)
    for bone in ("leftUpperLeg", "leftLowerLeg", "rightUpperLeg", "rightLowerLeg", "leftFoot", "rightFoot"):
        assert angle_deg(pose.local_rotations[:, bm[bone]], rig.rest_rotation[bm[bone]]).max() < 1e-6, bone
    assert not pose.contacts.any()
    # The arms, the spine's lean and the head are driven
    for bone in ("leftUpperArm", "leftLowerArm", "rightUpperArm", "rightLowerArm"):
        posed = forward_world_rotation(rig, local, bm[bone])
        assert angle_deg(pose.world_rotations[:, bm[bone]], posed).max() < 3.0, bone
    lean = np.degrees(np.arccos(np.clip(np.sum(shoulder_centre_direction(rig, pose.world_positions)
                                               * shoulder_centre_direction(rig, world_pos), axis=-1), -1, 1)))
    assert lean.max() < 2.0
    # the face turns with the performer's (its pitch is only as good as the ears/nose heuristics)
    facing = qrot(pose.world_rotations[:, bm["head"]], [0.0, 0.0, 1.0])
    posed_facing = qrot(forward_world_rotation(rig, local, bm["head"]), [0.0, 0.0, 1.0])
    yaw = np.degrees(np.arctan2(facing[:, 0], facing[:, 2]) - np.arctan2(posed_facing[:, 0], posed_facing[:, 2]))
    assert np.abs(yaw).max() < 3.0
    assert angle_deg(pose.world_rotations[:, bm["head"]], forward_world_rotation(rig, local, bm["head"])).max() < 8.0
    # The clip path (`main.py retarget`) takes such a motion too, and a smaller rig scales by the torso
    assert retarget_clip(motion, rig, "desk").channels
    small = rig_of(str(MANNEQUIN_B))
    torso_ratio = (np.linalg.norm(small.rest_points["leftUpperArm"] - small.rest_points["rightUpperArm"])
                   / np.linalg.norm(rig.rest_points["leftUpperArm"] - rig.rest_points["rightUpperArm"]))
    scale = RetargetCalibration.from_motion(motion.joints, small, motion.confidence).scale
    assert 0.7 * torso_ratio < scale < 1.3 * torso_ratio


def forward_world_rotation(rig, local, node):
    """World rotation (F, 4) of one node of a posed mannequin (hips translation irrelevant)."""
    world_rot, _ = forward_kinematics(rig, local, np.zeros((local.shape[0], 3)))
    return world_rot[:, node]


def test_nothing_to_calibrate_from_is_an_input_error():
    rig = rig_of(str(MANNEQUIN_A))
    _, _, landmarks = upper_body_landmarks(2, hide_hips=True)
    landmarks[:, 11:17, 3] = 0.0  # shoulders, elbows and wrists lost too: only the head
    motion = humanoid_motion_from_landmarks(np.arange(2) / 30, landmarks)
    with pytest.raises(InputError, match="never tracks its legs or its shoulders"):
        retarget_motion(motion, rig)


def test_live_retargeter_calibrates_from_the_torso_then_from_the_legs():
    rig = rig_of(str(MANNEQUIN_A))
    frames = 30
    _, _, upper = upper_body_landmarks(frames, hide_hips=True)
    motion = humanoid_motion_from_landmarks(np.arange(frames) / 30, upper)
    live = LiveRetargeter(rig, torso_wait_s=0.3)
    poses = [live.update(**motion.frame(index)) for index in range(frames)]
    # The rest pose while it waits for the legs, then a torso calibration (0.3 s of frames at 30 fps)
    waited = [index for index, pose in enumerate(poses)
              if np.allclose(pose.local_rotations, rig.rest_rotation)]
    assert waited == list(range(9))
    assert live.calibration.basis == "torso" and live.calibration.scale == pytest.approx(1.0, abs=0.02)
    # After calibrating it solves exactly like the clip path with that calibration
    clip = retarget_motion(motion, rig, calibration=live.calibration)
    for index in range(9, frames):
        assert angle_deg(poses[index].local_rotations, clip.local_rotations[index]).max() < 1e-4
        assert np.allclose(poses[index].world_positions, clip.world_positions[index], atol=1e-9)
    # The performer stands up: the first frame with legs calibrates from them (the hips leave their rest height)
    standing = mannequin_walk()
    frame = standing.frame(0)
    frame["t"] = 2.0
    pose = live.update(**frame)
    assert live.calibration.basis == "legs" and live.calibration.scale == pytest.approx(1.0)
    hips = rig.bone_map["hips"]
    assert np.allclose(pose.world_positions[hips], standing.joints["hips"][0], atol=0.025)  # rest: 0.985 m


def test_image_landmarks_refine_the_world_landmarks():
    """MediaPipe's world landmarks pull limbs towards an average pose; its image landmarks sit on the joints. With
    `pose_image` the landmarks' x, y come from the image (scaled to metres) and only the depth from the world."""
    rig = rig_of(str(MANNEQUIN_A))
    bm = rig.bone_map
    local = np.broadcast_to(rig.rest_rotation, (2, rig.node_count, 4)).copy()
    local[:, bm["leftLowerArm"]] = about([0, 0, 1], 90)  # forearms up, elbows at 90 degrees in the image plane
    local[:, bm["rightLowerArm"]] = about([0, 0, 1], -90)
    _, world_pos = forward_kinematics(rig, local, np.array([rig.rest_translation[rig.hips_node]] * 2))
    truth = mediapipe_pose(rig, world_pos)
    # The image: an orthographic view, 300 px per metre, 640 x 480, the hips a little off centre
    pixels = truth[..., :2] * 300.0 + [330.0, 250.0]
    image = np.concatenate([pixels / [640.0, 480.0], truth[..., 3:]], axis=-1)
    image[1] = np.nan  # the second frame has no image landmarks
    # The world landmarks: elbows pulled halfway to the shoulder-wrist line (bent ~50 degrees instead of 90)
    world = truth.copy()
    for shoulder, elbow, wrist in ((11, 13, 15), (12, 14, 16)):
        world[:, elbow, :3] = 0.5 * world[:, elbow, :3] + 0.25 * (world[:, shoulder, :3] + world[:, wrist, :3])
    times = np.arange(2) / 30

    def elbows(motion):
        pose = retarget_motion(motion, rig, contacts=False)
        return [angle_deg(pose.local_rotations[:, bm[f"{side}LowerArm"]], [0, 0, 0, 1]) for side in ("left", "right")]

    plain = elbows(humanoid_motion_from_landmarks(times, world))
    refined = elbows(humanoid_motion_from_landmarks(times, world, pose_image=image, image_aspect=640 / 480))
    for side in range(2):
        assert plain[side][0] < 70
        assert refined[side][0] == pytest.approx(90, abs=1.0)
        assert refined[side][1] == pytest.approx(plain[side][1], abs=1e-9)  # no image landmarks: the world's
