"""Retargeting humanoid motion onto any rig: driven by joint *positions*, so rest poses and proportions may differ.

Frames and units
- World: Y up, right-handed, metres. The performer/character faces +Z at rest and their left is +X.
- Quaternions (x, y, z, w); `q1 * q2` applies q2 first. Every array op broadcasts over a leading frame axis F, so a
  whole take is solved in one pass (a Python loop over the ~60 rig nodes per call, numpy over frames).

Source: `HumanoidMotion` holds per canonical bone (VRM names, see `engine.capture.humanoid`) the world position of
the bone's head, (F, 3). Extra points: `headTop` (top of the head, the head bone's tail), `leftHandTip` /
`rightHandTip` (base of the middle finger). Optional `twist` hints are world vectors per bone: where that bone's rest
*forward* axis (+Z) points now, or its rest *up* axis (+Y) for feet (`TWIST_AXIS`): the face direction for the head,
the thumb side of the hand (index knuckle minus little knuckle), the top of the foot. NaN positions or a confidence
<= `min_confidence` mean "not tracked".

Solve, per rig bone in hierarchy order (`solve_pose`): the bone's world rotation is the rotation that takes the rig's
rest (primary, secondary) axis pair onto the source's, applied to the bone's rest world rotation; converted to local.
- hips: primary the hip line (right -> left thigh heads), secondary the forward hint or the up direction to the spine.
- spine, chest, upperChest, neck: primary towards the next torso joint; secondary the forward hint or the left-right
  line (hip and shoulder lines for the spine, shoulder line above).
- head: primary towards `headTop`, secondary the face-forward hint (else the shoulder line).
- arms and legs: the upper bone points at the middle joint and is twisted so the limb bends in the source's bend
  plane (the pole: where the elbow/knee sits off the shoulder-wrist / hip-ankle line). The lower bone is a hinge:
  it turns about that plane's normal by the source's bend angle. Limits (`HINGE_LIMITS_DEG`): elbows and knees
  bend 0..150 degrees, one way only. The pole is compared with a default (knee: forward; elbow: backward; each
  swung along with the upper bone from the rest pose): a knee pole behind it, or an elbow pole behind it while
  bent under 30 degrees, is hyperextension and is solved straight. Near straight (bend < 20 deg) the pole blends
  towards the default, because a straight limb's bend plane is noise.
- hand: primary towards `*HandTip`, secondary the thumb-side hint; foot: primary towards the toes, secondary the
  foot-up hint or the knee's hinge axis; clavicles: the shortest swing that points them at the upper arm.
- fingers: `finger_curl_spread` angles applied about the rig's own finger bend axes.
- everything else (toes, eyes, jaw, unmapped nodes between mapped ones) keeps its rest local rotation.
Only directions come from the source; bone lengths stay the rig's own, so proportions never stretch.

Root motion and ground contact: the rig's hip-joint centre (between its thighs) follows the source's, scaled by the
leg-length ratio (rig / source) over a floor found from the source's lowest ankle over the motion
(`RetargetCalibration`); the hips node keeps its own offset from that centre. A foot is planted while its ankle is
low (within `contact_height` of the floor) and slow (below `contact_speed` over the last `speed_window_s`), with
hysteresis, and until its source ankle has crept `max_drift` from where it touched down (a shuffle or a slide is
not a plant). A planted ankle is pinned where it touched down and the leg re-solved with analytic two-bone IK,
lowering the hips when the pinned foot is out of reach; the foot keeps the source's orientation, so a pivot still
turns the toes about the ankle. After lift-off the ankle eases back to the solved pose over `release_s`.
Thresholds are for a 0.85 m leg and scale with the rig's. A source that never tracks its legs (a performer at a desk,
seen from the waist up) calibrates from the torso instead: the hips stay at the rig's rest position (turning with the
source's hips where those are seen), the legs keep their rest pose and the spine, arms, neck and head are driven
(MediaPipe's hip centre is its landmarks' origin, so the spine is found even when the hips are hidden). Everything is
causal, so `LiveRetargeter` (one frame at a time) gives the same result as `retarget_clip` for the same input and
calibration.

Hands: `finger_curl_spread` turns 21 hand landmarks into per-joint curls and spreads; `HumanoidMotion.finger_curl`
/ `finger_spread` carry them (per side) and the solver applies their change from the rig's own rest curl/spread to
the rig's finger bones, about each finger's bend axis and the palm normal.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from engine.assets.model import AnimationChannel, AnimationClip, ModelAsset
from engine.capture.bvh import BvhMotion, quat_multiply
from engine.capture.humanoid import (
    FINGER_NAMES,
    SIDES,
    detect_bone_map,
    finger_bones,
    rest_world_matrices,
)
from engine.errors import InputError

UP = np.array([0.0, 1.0, 0.0])
FORWARD = np.array([0.0, 0.0, 1.0])
TIP_POINTS = {"head": "headTop", "leftHand": "leftHandTip", "rightHand": "rightHandTip"}
# Rest axis a bone's twist hint describes, in the character's rest frame (left, up, forward) = (+X, +Y, +Z).
TWIST_AXIS = {"leftFoot": UP, "rightFoot": UP, "leftToes": UP, "rightToes": UP}
# Hinge joints (lower arm = elbow, lower leg = knee): allowed bend in degrees; 0 is straight, positive bends the
# forearm forward/inward and the shin backward. Elbows and knees never bend the other way.
HINGE_LIMITS_DEG = {"arm": (0.0, 150.0), "leg": (0.0, 150.0)}
STRAIGHT_BLEND_DEG = (5.0, 20.0)  # below/above these bends the pole comes from the default/the source
LIMBS = {(side, limb): tuple(f"{side}{part}" for part in parts) for side in SIDES
         for limb, parts in (("arm", ("UpperArm", "LowerArm", "Hand")), ("leg", ("UpperLeg", "LowerLeg", "Foot")))}
_TORSO_CHAIN = ("hips", "spine", "chest", "upperChest", "neck", "head")


# ---------------------------------------------------------------------------------------------------------------
# Vectorised rotation helpers


_qmul = quat_multiply  # Hamilton product, broadcasting (engine.capture.bvh)


def _qconj(q):
    return np.asarray(q, np.float64) * np.array([-1.0, -1.0, -1.0, 1.0])


def _qrot(q, v):
    q = np.asarray(q, np.float64)
    xyz, w = q[..., :3], q[..., 3:]
    t = 2.0 * np.cross(xyz, v)
    return v + w * t + np.cross(xyz, t)


def _dot(a, b):
    return np.sum(a * b, axis=-1)


def _unit(v, eps=1e-9):
    """v / |v|; NaN where |v| < eps (an undefined direction counts as untracked)."""
    v = np.asarray(v, np.float64)
    norm = np.sqrt(_dot(v, v))[..., None]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(norm > eps, v / norm, np.nan)


def _axis_angle(axis, angle):
    half = 0.5 * np.asarray(angle, np.float64)[..., None]
    return np.concatenate([np.asarray(axis, np.float64) * np.sin(half), np.cos(half)], axis=-1)


def _angle_between(a, b):
    return np.arctan2(np.sqrt(_dot(np.cross(a, b), np.cross(a, b))), _dot(a, b))


def _swing(a, b):
    """Shortest rotation taking direction a onto direction b (unit vectors)."""
    a, b = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(b, np.float64))
    dot = _dot(a, b)
    opposite = dot < -0.999999
    # Opposite directions: half a turn about any axis perpendicular to a.
    helper = np.where((np.abs(a[..., 0]) < 0.9)[..., None], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0])
    axis = np.where(opposite[..., None], _unit(np.cross(a, helper)), np.cross(a, b))
    q = np.concatenate([axis, np.where(opposite, 0.0, 1.0 + dot)[..., None]], axis=-1)
    return q / np.sqrt(_dot(q, q))[..., None]


def _frame(primary, secondary):
    """(..., 3, 3) orthonormal basis with columns (primary, secondary made orthogonal, their cross product)."""
    primary, secondary = np.broadcast_arrays(np.asarray(primary, np.float64), np.asarray(secondary, np.float64))
    x = _unit(primary)
    y = _unit(secondary - _dot(secondary, x)[..., None] * x)
    return np.stack([x, y, np.cross(x, y)], axis=-1)


def _quat_from_matrix(m):
    """Unit quaternions of (..., 3, 3) column-vector rotation matrices (Shepperd, branch-free); NaN stays NaN."""
    m00, m11, m22 = m[..., 0, 0], m[..., 1, 1], m[..., 2, 2]
    candidates = np.stack([
        np.stack([m[..., 2, 1] - m[..., 1, 2], m[..., 0, 2] - m[..., 2, 0], m[..., 1, 0] - m[..., 0, 1],
                  1 + m00 + m11 + m22], -1),
        np.stack([1 + m00 - m11 - m22, m[..., 0, 1] + m[..., 1, 0], m[..., 0, 2] + m[..., 2, 0],
                  m[..., 2, 1] - m[..., 1, 2]], -1),
        np.stack([m[..., 0, 1] + m[..., 1, 0], 1 + m11 - m00 - m22, m[..., 1, 2] + m[..., 2, 1],
                  m[..., 0, 2] - m[..., 2, 0]], -1),
        np.stack([m[..., 0, 2] + m[..., 2, 0], m[..., 1, 2] + m[..., 2, 1], 1 + m22 - m00 - m11,
                  m[..., 1, 0] - m[..., 0, 1]], -1),
    ], -2)
    norms = np.sum(candidates * candidates, axis=-1)
    best = np.argmax(np.nan_to_num(norms, nan=0.0), axis=-1)
    chosen = np.take_along_axis(candidates, best[..., None, None], axis=-2)[..., 0, :]
    return chosen / np.sqrt(_dot(chosen, chosen))[..., None]


def _align(primary, secondary, rest_primary, rest_secondary):
    """The rotation taking the rest (primary, secondary) pair onto the current one (primary exact)."""
    current = _frame(primary, secondary)
    rest = _frame(rest_primary, rest_secondary)
    return _quat_from_matrix(current @ np.swapaxes(rest, -1, -2))


def _smoothstep(edge0, edge1, x):
    t = np.clip((x - edge0) / (edge1 - edge0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def _continuous(track):
    """Flip quaternion signs along axis 0 so neighbouring keys share a hemisphere (short interpolation paths)."""
    dots = np.sum(track[1:] * track[:-1], axis=-1)
    signs = np.concatenate([np.ones((1,) + dots.shape[1:]), np.cumprod(np.where(dots < 0, -1.0, 1.0), axis=0)])
    return track * signs[..., None]


# ---------------------------------------------------------------------------------------------------------------
# Source motion


@dataclass(eq=False)
class HumanoidMotion:
    """World positions of canonical humanoid joints over time (see the module docstring for frames and units)."""

    times: np.ndarray  # (F,) float64 seconds
    joints: dict[str, np.ndarray]  # canonical bone (or TIP_POINTS name) -> (F, 3) world position of its head
    confidence: dict[str, np.ndarray] = field(default_factory=dict)  # name -> (F,) 0..1; absent = 1
    twist: dict[str, np.ndarray] = field(default_factory=dict)  # bone -> (F, 3) world direction of TWIST_AXIS
    # side -> (F, 5, 3) / (F, 5) radians, thumb..little, as `finger_curl_spread` returns them
    finger_curl: dict[str, np.ndarray] = field(default_factory=dict)
    finger_spread: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def frame_count(self) -> int:
        return len(self.times)

    def frame(self, index: int) -> dict:
        """One frame as keyword arguments for `LiveRetargeter.update`."""
        return {"t": float(self.times[index]),
                "joints": {name: values[index] for name, values in self.joints.items()},
                "confidence": {name: values[index] for name, values in self.confidence.items()},
                "twist": {name: values[index] for name, values in self.twist.items()},
                "finger_curl": {side: values[index] for side, values in self.finger_curl.items()},
                "finger_spread": {side: values[index] for side, values in self.finger_spread.items()}}

    def resampled(self, fps: float) -> HumanoidMotion:
        """Linearly resampled at `fps` from the first time to the last (NaN gaps stay gaps)."""
        times = self.times[0] + np.arange(int(np.floor((self.times[-1] - self.times[0]) * fps + 1e-9)) + 1) / fps

        def resample(values):
            flat = values.reshape(len(self.times), -1)
            out = np.stack([np.interp(times, self.times, column) for column in flat.T], axis=-1)
            return out.reshape((len(times),) + values.shape[1:])

        return HumanoidMotion(times, *({k: resample(v) for k, v in d.items()} for d in (
            self.joints, self.confidence, self.twist, self.finger_curl, self.finger_spread)))


def humanoid_motion_from_bvh(motion: BvhMotion, bone_map: dict[str, str | int] | None = None) -> HumanoidMotion:
    """World joint positions (metres) of a BVH's mapped bones, turned so the rest pose stands up +Y facing +Z.

    `bone_map`: canonical name -> joint index (a full map) or -> joint name (an override on top of detection).
    The turn comes from the rest pose: up from the hips towards the head, left from the right to the left thigh
    (and shoulder). Twist hints come from the joints' own world rotations (the BVH rest pose has every rotation
    identity, so its rest axes are the character's). Finger joints are not retargeted from BVH.
    """
    metric = motion.scale_to_metres()
    if bone_map and all(isinstance(v, (int, np.integer)) for v in bone_map.values()):
        mapping = {bone: int(index) for bone, index in bone_map.items()}
    else:
        mapping = metric.bone_map(bone_map)  # type: ignore[arg-type]
    rest = metric.rest_positions()
    turn = _facing_turn(rest, mapping)
    world_rotations, world_positions = metric.world_transforms()
    positions = world_positions @ turn.T
    joints = {bone: positions[:, index] for bone, index in mapping.items() if not _is_finger(bone)}
    for bone, tip in TIP_POINTS.items():
        if bone in mapping:
            tip_joints = _tip_joints(metric, mapping[bone], mapping)
            if tip_joints:
                joints[tip] = positions[:, tip_joints].mean(axis=1)
    twist = {}
    turn_quat = _quat_from_matrix(turn)
    for bone in ("hips", "spine", "chest", "upperChest", "neck", "head", "leftHand", "rightHand", "leftFoot",
                 "rightFoot"):
        if bone in mapping:
            axis_in_file = turn.T @ TWIST_AXIS.get(bone, FORWARD)
            twist[bone] = _qrot(turn_quat, _qrot(world_rotations[:, mapping[bone]], axis_in_file))
    return HumanoidMotion(times=metric.times.astype(np.float64), joints=joints, twist=twist)


def _is_finger(bone: str) -> bool:
    return any(finger in bone for finger in FINGER_NAMES)


def _facing_turn(rest: np.ndarray, mapping: dict[str, int]) -> np.ndarray:
    """(3, 3) rotation taking the skeleton's rest (left, up, forward) onto (+X, +Y, +Z).

    Up is the file axis nearest to hips -> head (files are Y up or Z up; a rest pose leaning a little must not tilt
    the world); left is the right-to-left thigh (and shoulder) line, levelled.
    """
    towards_head = rest[mapping["head"]] - rest[mapping["hips"]]
    up = np.zeros(3)
    axis = int(np.argmax(np.abs(towards_head)))
    up[axis] = np.sign(towards_head[axis])
    left = _unit(rest[mapping["leftUpperLeg"]] - rest[mapping["rightUpperLeg"]])
    if "leftUpperArm" in mapping and "rightUpperArm" in mapping:
        left = _unit(left + _unit(rest[mapping["leftUpperArm"]] - rest[mapping["rightUpperArm"]]))
    frame = _frame(up, left)  # columns: up, left, up x left = -forward
    return np.stack([frame[:, 1], frame[:, 0], -frame[:, 2]], axis=0)


def _tip_joints(motion: BvhMotion, joint: int, mapping: dict[str, int]) -> list[int]:
    """Joints marking a bone's tail: its first descendants away from it (zero-length helpers skipped, thumbs,
    eyes and jaw left out); the middle finger's base for a hand when mapped."""
    side = next((s for s in SIDES if mapping.get(f"{s}Hand") == joint), None)
    if side and f"{side}MiddleProximal" in mapping:
        return [mapping[f"{side}MiddleProximal"]]
    rest = motion.rest_positions()
    children = [[c for c in np.flatnonzero(motion.parents == j)] for j in range(motion.joint_count)]
    found, stack = [], list(children[joint])
    while stack:
        node = int(stack.pop())
        lowered = motion.names[node].lower()
        if any(word in lowered for word in ("thumb", "eye", "jaw")):
            continue
        if np.linalg.norm(rest[node] - rest[joint]) < 1e-6:
            stack.extend(children[node])
        else:
            found.append(node)
    return sorted(found)


# MediaPipe Pose landmark indices (the performer's anatomical sides).
_MP = {"nose": 0, "left_ear": 7, "right_ear": 8, "left_shoulder": 11, "right_shoulder": 12, "left_elbow": 13,
       "right_elbow": 14, "left_wrist": 15, "right_wrist": 16, "left_pinky": 17, "right_pinky": 18,
       "left_index": 19, "right_index": 20, "left_hip": 23, "right_hip": 24, "left_knee": 25, "right_knee": 26,
       "left_ankle": 27, "right_ankle": 28, "left_heel": 29, "right_heel": 30, "left_foot_index": 31,
       "right_foot_index": 32}
_MEDIAPIPE_TO_ENGINE = np.array([1.0, -1.0, -1.0])  # x right, y down, z away -> X, Y up, Z towards the camera
HIDDEN_HIPS_VISIBILITY = 0.5  # at or below it (either hip) the torso rises from the landmarks' origin instead


def humanoid_motion_from_landmarks(times, pose_world, hands: dict[str, np.ndarray | None] | None = None, *,
                                   mirrored: bool = False, pose_image=None,
                                   image_aspect: float | None = None) -> HumanoidMotion:
    """A `HumanoidMotion` from MediaPipe world landmarks.

    `pose_world`: (F, 33, 4) Pose world landmarks (x, y, z, visibility): metres, origin between the hips, x to the
    image's right, y down, z away from the camera. `hands`: side -> (F, 21, 3) Hand world landmarks (same axes) or
    None, keyed by the performer's anatomical side. The performer faces the camera. `pose_image` (F, 33, 2+) with
    `image_aspect` (width / height): the same landmarks in normalised image coordinates, which make the x and y
    surer (`refine_with_image_landmarks`).

    Mirror convention: none. The performer's own right drives the character's right, as in motion capture: a
    performer raising their right hand raises the character's right hand, which (both facing the camera) appears
    on the image's left. Axes become X = x, Y = -y, Z = -z, a half turn about X, so the performer's forward
    (towards the camera) is +Z and their left (the image's right, for an unmirrored camera) is +X. Pass
    `mirrored=True` for a selfie-mirrored video: sides are swapped and x negated first.

    The torso joints are interpolated: hips = between the hip landmarks (the origin, which MediaPipe puts there, where
    either hip's visibility is at most `HIDDEN_HIPS_VISIBILITY`); spine, chest and upperChest at 12%, 45% and 75% of
    the way to the shoulder centre, tracked with the shoulders (so an upper-body capture still drives the spine);
    neck and head at 15% and 80% from the shoulder centre to the ear centre; `headTop` above the head along the
    ears/nose frame's up. Hands take their direction and thumb-side hint from the pose's index/pinky landmarks, or
    from the hand landmarks when given (which also give finger curl and spread). Visibility is each joint's
    confidence (the lowest of the landmarks it uses).
    """
    times = np.asarray(times, np.float64)
    pose = np.asarray(pose_world, np.float64)
    if pose_image is not None and image_aspect is not None:
        pose = refine_with_image_landmarks(pose, pose_image, image_aspect)
    points = pose[..., :3] * _MEDIAPIPE_TO_ENGINE
    visibility = pose[..., 3] if pose.shape[-1] > 3 else np.ones(pose.shape[:-1])
    hands = dict(hands or {})
    if mirrored:
        points = points * np.array([-1.0, 1.0, 1.0])
        swap = {name: _MP[name.replace("left", "\0").replace("right", "left").replace("\0", "right")] for name in _MP}
        order = np.arange(33)
        order[[_MP[name] for name in swap]] = list(swap.values())
        points, visibility = points[:, order], visibility[:, order]
        hands = {("right" if side == "left" else "left"): value for side, value in hands.items()}

    def p(name):
        return points[:, _MP[name]]

    def v(*names):
        return np.min(np.stack([visibility[:, _MP[name]] for name in names]), axis=0)

    joints, confidence, twist = {}, {}, {}

    def put(bone, position, *names):
        joints[bone] = position
        confidence[bone] = v(*names)

    # The world landmarks are centred between the hips, so where the hips are hidden (a performer at a desk) the
    # origin is still the hip centre the model assumed: the spine follows the shoulders from there.
    hips_seen = (v("left_hip", "right_hip") > HIDDEN_HIPS_VISIBILITY)[:, None]
    hips = np.where(hips_seen, 0.5 * (p("left_hip") + p("right_hip")), 0.0)
    shoulders = 0.5 * (p("left_shoulder") + p("right_shoulder"))
    ears = 0.5 * (p("left_ear") + p("right_ear"))
    put("hips", hips, "left_hip", "right_hip")
    for bone, fraction in (("spine", 0.12), ("chest", 0.45), ("upperChest", 0.75)):
        put(bone, hips + fraction * (shoulders - hips), "left_shoulder", "right_shoulder")
    head_landmarks = ("left_shoulder", "right_shoulder", "left_ear", "right_ear", "nose")
    put("neck", shoulders + 0.15 * (ears - shoulders), *head_landmarks)
    head = shoulders + 0.8 * (ears - shoulders)
    put("head", head, *head_landmarks)
    face_forward = p("nose") - ears
    head_left = p("left_ear") - p("right_ear")
    head_up = _unit(np.cross(face_forward, head_left))
    put("headTop", head + 0.5 * np.linalg.norm(ears - shoulders, axis=-1)[:, None] * head_up, *head_landmarks)
    twist["head"] = face_forward
    confidence["headTop"] = confidence["head"]
    for side in SIDES:
        s = side + "_"
        put(f"{side}UpperArm", p(s + "shoulder"), s + "shoulder")
        put(f"{side}LowerArm", p(s + "elbow"), s + "elbow")
        put(f"{side}Hand", p(s + "wrist"), s + "wrist")
        put(f"{side}HandTip", 0.5 * (p(s + "index") + p(s + "pinky")), s + "index", s + "pinky")
        twist[f"{side}Hand"] = p(s + "index") - p(s + "pinky")
        put(f"{side}UpperLeg", p(s + "hip"), s + "hip")
        put(f"{side}LowerLeg", p(s + "knee"), s + "knee")
        put(f"{side}Foot", p(s + "ankle"), s + "ankle")
        put(f"{side}Toes", p(s + "foot_index"), s + "foot_index")
        foot_direction = _unit(p(s + "foot_index") - p(s + "heel"))
        heel_to_ankle = p(s + "ankle") - p(s + "heel")
        twist[f"{side}Foot"] = heel_to_ankle - _dot(heel_to_ankle, foot_direction)[:, None] * foot_direction
    curls, spreads = {}, {}
    for side, landmarks in hands.items():
        if landmarks is None:
            continue
        hand = np.asarray(landmarks, np.float64)[..., :3] * _MEDIAPIPE_TO_ENGINE
        if mirrored:
            hand = hand * np.array([-1.0, 1.0, 1.0])
        tracked = np.all(np.isfinite(hand), axis=(1, 2))
        wrist = joints[f"{side}Hand"]
        # The hand landmarks have their own origin: only their directions are used.
        tip = wrist + (hand[:, 9] - hand[:, 0])
        joints[f"{side}HandTip"] = np.where(tracked[:, None], tip, joints[f"{side}HandTip"])
        twist[f"{side}Hand"] = np.where(tracked[:, None], hand[:, 5] - hand[:, 17], twist[f"{side}Hand"])
        curls[side], spreads[side] = finger_curl_spread(hand, side)
    return HumanoidMotion(times, joints, confidence, twist, curls, spreads)


_SCALE_LANDMARKS = np.array([11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28])  # shoulders .. ankles


def refine_with_image_landmarks(pose_world, pose_image, image_aspect: float, min_visibility: float = 0.5):
    """World landmarks (F, 33, 3+) whose x and y are replaced by the image landmarks' (F, 33, 2+), metric.

    MediaPipe's world landmarks are regressed towards an average pose (a straight arm comes back bent 20 degrees, an
    elbow bent 90 degrees in the image plane comes back at 50), while its image landmarks sit on the joints. Per
    frame the image landmarks, relative to the image's hip centre and with x scaled by `image_aspect` (width /
    height), are scaled to the world landmarks by least squares over the limbs' landmarks seen better than
    `min_visibility`; x and y come from them and only the depth (z) from the world landmarks. The camera is taken as
    orthographic (a performer a few metres away). A frame with fewer than 4 such landmarks, or without image
    landmarks, keeps its world landmarks.
    """
    world = np.array(pose_world, np.float64)
    image = np.asarray(pose_image, np.float64)[..., :2] * np.array([float(image_aspect), 1.0])
    visibility = world[..., 3] if world.shape[-1] > 3 else np.ones(world.shape[:-1])
    offsets = image - 0.5 * (image[..., 23:24, :] + image[..., 24:25, :])
    used = (visibility[..., _SCALE_LANDMARKS] > min_visibility) & np.all(
        np.isfinite(offsets[..., _SCALE_LANDMARKS, :]) & np.isfinite(world[..., _SCALE_LANDMARKS, :2]), axis=-1)
    d = np.where(used[..., None], offsets[..., _SCALE_LANDMARKS, :], 0.0)
    w = np.where(used[..., None], world[..., _SCALE_LANDMARKS, :2], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.sum(d * w, axis=(-2, -1)) / np.sum(d * d, axis=(-2, -1))
    good = (np.sum(used, axis=-1) >= 4) & np.isfinite(scale) & (scale > 0)
    refined = scale[..., None, None] * offsets
    keep = ~(good[..., None, None] & np.isfinite(refined))
    world[..., :2] = np.where(keep, world[..., :2], refined)
    return world


# ---------------------------------------------------------------------------------------------------------------
# Hands

# MediaPipe Hand landmarks: 0 wrist; per finger 4 points from the base (thumb: CMC, MCP, IP, tip).
HAND_FINGER_LANDMARKS = {"Thumb": (1, 2, 3, 4), "Index": (5, 6, 7, 8), "Middle": (9, 10, 11, 12),
                         "Ring": (13, 14, 15, 16), "Little": (17, 18, 19, 20)}


def palm_normal(wrist, index_base, little_base, side: str):
    """Unit normal out of the palm: (-Y) for a T-pose hand, palm down. Vectorised over leading axes."""
    normal = np.cross(little_base - wrist, index_base - wrist)
    return _unit(normal if side == "left" else -normal)


def finger_curl_spread(hand_world, side: str) -> tuple[np.ndarray, np.ndarray]:
    """Per-finger joint curl and spread from 21 hand landmarks (..., 21, 3), any right-handed frame.

    Returns `curl` (..., 5, 3) and `spread` (..., 5), radians, fingers thumb..little. Each finger bends about its
    own axis, `cross(finger direction across the palm, palm normal)`; `curl[f, k]` is the bend at the finger's
    k-th joint (thumb: CMC, MCP, IP; others: MCP, PIP, DIP) between the segments either side of it, seen in the
    plane across that axis, positive towards the palm. `spread[f]` is the sideways angle of the finger's first
    phalanx from its metacarpal (wrist -> base) in the palm plane, positive towards the thumb on either hand.
    """
    hand = np.asarray(hand_world, np.float64)
    wrist = hand[..., 0, :]
    normal = palm_normal(wrist, hand[..., 5, :], hand[..., 17, :], side)
    curls, spreads = [], []
    for finger in FINGER_NAMES:
        chain = [wrist] + [hand[..., i, :] for i in HAND_FINGER_LANDMARKS[finger]]
        segments = [_unit(b - a) for a, b in itertools.pairwise(chain)]
        curl, spread, _ = _chain_angles(segments, normal, side)
        curls.append(curl)
        spreads.append(spread)
    return np.stack(curls, axis=-2), np.stack(spreads, axis=-1)


def _chain_angles(segments: list[np.ndarray], normal: np.ndarray, side: str):
    """(curls (..., 3), spread (...), bend axis (..., 3)) of a finger given as 4 unit segment directions, wrist
    first, and the palm normal (see `finger_curl_spread`)."""
    def in_palm(v):
        return v - _dot(v, normal)[..., None] * normal

    metacarpal, phalanx = in_palm(segments[0]), in_palm(segments[1])
    # The finger's direction across the palm; as the first phalanx curls towards the normal its projection
    # vanishes, so the metacarpal's direction takes over in proportion.
    weight = 1.0 - np.linalg.norm(phalanx, axis=-1, keepdims=True)
    across = _unit(phalanx + weight * _unit(metacarpal))
    axis = _unit(np.cross(across, normal))
    side_view = [s - _dot(s, axis)[..., None] * axis for s in segments]
    curl = np.stack([np.arctan2(_dot(np.cross(a, b), axis), _dot(a, b))
                     for a, b in itertools.pairwise(side_view)], axis=-1)
    # Towards the thumb is a positive turn about the left palm's normal and a negative one on the right hand.
    towards_thumb = 1.0 if side == "left" else -1.0
    spread = towards_thumb * np.arctan2(_dot(np.cross(metacarpal, phalanx), normal), _dot(metacarpal, phalanx))
    return curl, spread, axis


# ---------------------------------------------------------------------------------------------------------------
# Target rig


@dataclass(eq=False)
class RigTarget:
    """A rig's rest pose and bone map, prepared for solving. Nodes are the asset's (parents first)."""

    path: str
    names: list[str]
    parents: np.ndarray  # (N,) int64
    rest_translation: np.ndarray  # (N, 3)
    rest_rotation: np.ndarray  # (N, 4) local
    rest_world_rotation: np.ndarray  # (N, 4)
    rest_world_position: np.ndarray  # (N, 3)
    rest_world_scale: np.ndarray  # (N,) uniform scale (mean of the axes; non-uniform scale is not supported)
    bone_map: dict[str, int]
    solve_nodes: np.ndarray  # nodes the solver drives and clips key: the hips and every bone node below them
    rest_points: dict[str, np.ndarray]  # canonical bone / TIP_POINTS name -> rest world position (3,)
    rest_left: np.ndarray  # (3,) the rig's left at rest (from its hip line)
    rest_forward: np.ndarray  # (3,) the rig's forward at rest: left x up
    rest_directions: dict[str, np.ndarray]  # bone -> unit rest direction from its head to its tail point
    bone_lengths: dict[str, float]  # bone -> rest distance from its head to its tail point
    leg_length: float  # mean thigh + shin length
    ankle_height: float  # mean rest height of the ankles above the floor (y = 0 at rest)
    # (side, "arm" | "leg") -> (upper direction, hinge axis, signed bend in radians, default pole) at rest
    rest_hinges: dict[tuple[str, str], tuple[np.ndarray, np.ndarray, float, np.ndarray]] = field(default_factory=dict)
    finger_rest: dict = field(default_factory=dict, repr=False)  # (side, finger) -> cached `_rig_finger_rest`

    @property
    def hips_node(self) -> int:
        return self.bone_map["hips"]

    @property
    def node_count(self) -> int:
        return len(self.names)

    def rest_distance(self, a: int, b: int) -> float:
        """Rest distance between two nodes (a bone's length when b is the next joint)."""
        return float(np.linalg.norm(self.rest_world_position[b] - self.rest_world_position[a]))

    def hips_local_translation(self, hips_world: np.ndarray) -> np.ndarray:
        """World hips positions (..., 3) -> the hips node's local translation (its parent stays at rest)."""
        parent = self.parents[self.hips_node]
        if parent < 0:
            return np.array(hips_world, np.float64)
        offset = hips_world - self.rest_world_position[parent]
        return _qrot(_qconj(self.rest_world_rotation[parent]), offset) / self.rest_world_scale[parent]

    @classmethod
    def from_asset(cls, asset: ModelAsset, bone_map: dict[str, int | str] | None = None) -> RigTarget:
        """Prepare `asset` for retargeting. `bone_map`: canonical -> node index (a full map, used as is), or
        canonical -> node name (an override on top of `detect_bone_map`); None detects everything."""
        if bone_map and all(isinstance(v, (int, np.integer)) for v in bone_map.values()):
            mapping = {bone: int(node) for bone, node in bone_map.items()}
        else:
            mapping = detect_bone_map(asset, bone_map)  # type: ignore[arg-type]
        world = rest_world_matrices(asset)
        scale = np.linalg.norm(world[:, :3, :3], axis=2).mean(axis=1)
        rotation_rows = world[:, :3, :3] / scale[:, None, None]
        world_rotation = _quat_from_matrix(np.swapaxes(rotation_rows, -1, -2))  # row-vector layout -> column
        positions = world[:, 3, :3]
        parents = np.array([node.parent for node in asset.nodes], np.int64)
        names = [node.name for node in asset.nodes]
        hips = mapping["hips"]
        is_bone = np.array([node.mesh is None and node.camera is None for node in asset.nodes])
        below_hips = np.zeros(len(parents), bool)
        below_hips[hips] = True
        for node in range(hips + 1, len(parents)):
            below_hips[node] = parents[node] >= 0 and below_hips[parents[node]] and is_bone[node]
        points = {bone: positions[node] for bone, node in mapping.items()}
        children = [np.flatnonzero(parents == node) for node in range(len(parents))]
        for bone, tip in TIP_POINTS.items():
            points[tip] = _rig_tip(bone, mapping, positions, children, names)
        for (side, limb), (upper, lower, end) in LIMBS.items():
            if end not in points:  # a rig without hands/feet: the lower bone's first child, or its own length again
                kids = children[mapping[lower]]
                points[end] = positions[kids[0]] if len(kids) else 2 * points[lower] - points[upper]
        left = _unit(points["leftUpperLeg"] - points["rightUpperLeg"])
        lengths, directions = {}, {}
        for bone in mapping:
            tail = _rest_tail_name(bone, mapping)
            if tail in points:
                lengths[bone] = float(np.linalg.norm(points[tail] - points[bone]))
                directions[bone] = _unit(points[tail] - points[bone])
        legs = [lengths.get(f"{side}UpperLeg", 0.0) + lengths.get(f"{side}LowerLeg", 0.0) for side in SIDES]
        forward = _unit(np.cross(left, UP))
        hinges = {}
        for (side, limb), bones in LIMBS.items():
            default = forward if limb == "leg" else -forward  # knees point forward, elbows back
            u, h, bend = _hinge(*(points[b][None] for b in bones), default[None], limb == "leg")
            hinges[(side, limb)] = (u[0], h[0], float(bend[0]), default)
        return cls(
            path=asset.path, names=names, parents=parents,
            rest_translation=np.array([node.translation for node in asset.nodes], np.float64).reshape(-1, 3),
            rest_rotation=_normalize_quats(np.array([node.rotation for node in asset.nodes], np.float64)),
            rest_world_rotation=world_rotation, rest_world_position=positions, rest_world_scale=scale,
            bone_map=mapping, solve_nodes=np.flatnonzero(below_hips), rest_points=points,
            rest_left=left, rest_forward=forward, rest_directions=directions, bone_lengths=lengths,
            leg_length=float(np.mean(legs)),
            ankle_height=float(np.mean([points[f"{side}Foot"][1] for side in SIDES])), rest_hinges=hinges,
        )


def _normalize_quats(q):
    return q / np.linalg.norm(q, axis=-1, keepdims=True)


def _rest_tail_name(bone: str, mapping: dict[str, int]) -> str | None:
    if bone in TIP_POINTS:
        return TIP_POINTS[bone]
    chain = {"hips": None, "spine": ("chest", "upperChest", "neck", "head"), "chest": ("upperChest", "neck", "head"),
             "upperChest": ("neck", "head"), "neck": ("head",)}
    if bone in chain:
        return next((b for b in chain[bone] or () if b in mapping), None)
    for side in SIDES:
        following = {f"{side}Shoulder": f"{side}UpperArm", f"{side}UpperArm": f"{side}LowerArm",
                     f"{side}LowerArm": f"{side}Hand", f"{side}UpperLeg": f"{side}LowerLeg",
                     f"{side}LowerLeg": f"{side}Foot", f"{side}Foot": f"{side}Toes"}
        if bone in following:
            return following[bone]
    return None


def _rig_tip(bone, mapping, positions, children, names) -> np.ndarray:
    """Rest position of a head/hand bone's tail: middle finger base, else its non-thumb/eye children, else extended
    along the parent bone."""
    node = mapping.get(bone)
    if node is None:
        return np.full(3, np.nan)
    side = bone[:-4] if bone.endswith("Hand") else None
    if side and f"{side}MiddleProximal" in mapping:
        return positions[mapping[f"{side}MiddleProximal"]]
    # The head's mapped children are eyes and jaw, not its top.
    skip = set(mapping.values()) if bone == "head" else set()
    kids = [k for k in children[node] if k not in skip and np.linalg.norm(positions[k] - positions[node]) > 1e-6
            and not any(word in names[k].lower() for word in ("thumb", "eye", "jaw", "hair"))]
    if kids:
        return positions[kids].mean(axis=0)
    parent_bone = {"head": "neck", "leftHand": "leftLowerArm", "rightHand": "rightLowerArm"}[bone]
    parent = positions[mapping[parent_bone]] if parent_bone in mapping else positions[node] - UP
    return positions[node] + 0.4 * (positions[node] - parent)


# ---------------------------------------------------------------------------------------------------------------
# Calibration and solving


@dataclass(frozen=True)
class RetargetCalibration:
    """What scales source motion onto a rig: leg lengths (metres) and the source floor (its lowest ankle height).

    `basis` says what was measured. "legs": the source's legs (thigh + shin) and its floor. "torso": the source never
    tracked its legs (a performer at a desk, seen from the waist up), so the scale comes from the torso (hip centre to
    shoulder centre, or the shoulder width where the hips are hidden too) against the rig's, `source_leg_length` is
    the leg length that scale implies, and there is no floor (`source_ground` is NaN): the hips stay at the rig's
    rest position, the legs keep their rest (or last tracked) pose and no foot is planted.
    """

    source_leg_length: float
    target_leg_length: float
    source_ground: float
    basis: str = "legs"

    @property
    def scale(self) -> float:
        """Root-motion scale: target legs / source legs."""
        return self.target_leg_length / self.source_leg_length

    @property
    def from_torso(self) -> bool:
        return self.basis == "torso"

    @classmethod
    def from_motion(cls, joints: dict[str, np.ndarray], rig: RigTarget, confidence: dict | None = None, *,
                    min_confidence: float = 0.05, torso: bool = True) -> RetargetCalibration:
        """Median leg length over the frames; floor = the lowest ankle over the motion (1st percentile, so a
        single glitch does not sink the floor). Joints whose `confidence` is at most `min_confidence` are not
        measured. When no frame tracks a leg, the torso calibrates (`basis` "torso"; `torso=False` refuses)."""
        points = _tracked_points(joints, confidence or {}, min_confidence)
        legs, ankles = [], []
        for side in SIDES:
            upper, lower, foot = (points.get(f"{side}{p}", np.full((1, 3), np.nan))
                                  for p in ("UpperLeg", "LowerLeg", "Foot"))
            legs.append(np.linalg.norm(lower - upper, axis=-1) + np.linalg.norm(foot - lower, axis=-1))
            ankles.append(foot[:, 1])
        legs = np.concatenate(legs)
        leg = np.nanmedian(legs[legs > 0]) if np.any(np.isfinite(legs) & (legs > 0)) else np.nan
        heights = np.concatenate(ankles)
        if np.isfinite(leg) and leg > 0 and np.any(np.isfinite(heights)):
            return cls(float(leg), rig.leg_length, float(np.nanpercentile(heights, 1.0)))
        ratio = _torso_ratio(points, rig) if torso else np.nan
        if not np.isfinite(ratio):
            raise InputError(None, "cannot calibrate retargeting: the source never tracks its legs or its shoulders")
        return cls(float(rig.leg_length * ratio), rig.leg_length, float("nan"), "torso")


def _torso_ratio(points: dict[str, np.ndarray], rig: RigTarget) -> float:
    """Median over the frames of source / rig torso size: hip centre to shoulder centre where the hip joints and
    shoulders are tracked, else the shoulder width; NaN when neither is ever measured."""
    def get(name):
        return points.get(name, np.full((1, 3), np.nan))

    rest = rig.rest_points
    needed = ("leftUpperArm", "rightUpperArm", "leftUpperLeg", "rightUpperLeg")
    if not all(name in rest for name in needed):
        return float("nan")
    shoulders = 0.5 * (get("leftUpperArm") + get("rightUpperArm"))
    hips = 0.5 * (get("leftUpperLeg") + get("rightUpperLeg"))
    rig_length = np.linalg.norm(0.5 * (rest["leftUpperArm"] + rest["rightUpperArm"])
                                - 0.5 * (rest["leftUpperLeg"] + rest["rightUpperLeg"]))
    rig_width = np.linalg.norm(rest["leftUpperArm"] - rest["rightUpperArm"])
    length = np.linalg.norm(shoulders - hips, axis=-1) / rig_length
    width = np.linalg.norm(get("leftUpperArm") - get("rightUpperArm"), axis=-1) / rig_width
    ratios = np.where(np.isfinite(length) & (length > 0), length, width)
    ratios = ratios[np.isfinite(ratios) & (ratios > 0)]
    return float(np.median(ratios)) if len(ratios) else float("nan")


@dataclass(eq=False)
class SolvedPose:
    """Solver output for F frames (or one frame, without the leading axis, from `solve_pose`)."""

    local_rotations: np.ndarray  # (F, N, 4) every node of the rig (rest rotation where not driven)
    hips_translation: np.ndarray  # (F, 3) local translation of the hips node (its parent's frame)
    world_rotations: np.ndarray  # (F, N, 4)
    world_positions: np.ndarray  # (F, N, 3)
    contacts: np.ndarray | None = None  # (F, 2) bool, planted (left, right)
    anchors: np.ndarray | None = None  # (F, 2, 3) where each planted ankle is pinned (NaN when free)
    times: np.ndarray | None = None  # (F,) seconds

    def frame(self, index: int) -> SolvedPose:
        """One frame, without the leading axis."""
        def pick(values):
            return None if values is None else values[index]

        return SolvedPose(self.local_rotations[index], self.hips_translation[index], self.world_rotations[index],
                          self.world_positions[index], pick(self.contacts), pick(self.anchors), pick(self.times))


def _tracked_points(joints, confidence, min_confidence: float) -> dict[str, np.ndarray]:
    """Joint positions as (F, 3) float64 arrays, NaN where the joint's confidence is at most `min_confidence`."""
    points = {}
    for name, values in joints.items():
        values = np.array(values, np.float64, ndmin=2)
        if name in confidence:
            values[np.atleast_1d(np.asarray(confidence[name], np.float64)) <= min_confidence] = np.nan
        points[name] = values
    return points


class _Solver:
    """The per-frame pipeline and its state (held rotations, foot contacts), fed a chunk of frames at a time.

    Options: `min_confidence` (0..1; at or below it a joint is untracked); foot contact `contact_height` (m above the
    floor), `contact_speed` (m/s over `speed_window_s` seconds), `hysteresis` (factor on both for staying planted),
    `max_drift` (m the source ankle may creep while planted) and `release_s` (ease back after lift-off). Lengths and
    speeds are for a 0.85 m leg and scale with the rig's.
    """

    def __init__(self, rig: RigTarget, calibration: RetargetCalibration, *, min_confidence: float = 0.05,
                 contact_height: float = 0.05, contact_speed: float = 0.3, speed_window_s: float = 0.05,
                 release_s: float = 0.15, hysteresis: float = 1.6, max_drift: float = 0.05):
        self.rig = rig
        self.calibration = calibration
        self.min_confidence = min_confidence
        scale = rig.leg_length / 0.85  # thresholds are for a 0.85 m leg, scaled to the rig
        self.contact_height, self.contact_speed = contact_height * scale, contact_speed * scale
        self.max_drift = max_drift * scale
        self.speed_window_s, self.release_s, self.hysteresis = speed_window_s, release_s, hysteresis
        self.node_bone = {node: bone for bone, node in rig.bone_map.items()}
        self.held_local = rig.rest_rotation.copy()
        self.held_hips = rig.rest_world_position[rig.hips_node].copy()
        self.history_t = np.zeros(0)
        self.history_ankles = np.zeros((0, 2, 3))
        self.planted = [False, False]
        self.anchor = np.full((2, 3), np.nan)
        self.source_anchor = np.full((2, 3), np.nan)  # the (scaled) source ankle where the foot touched down
        self.release_time = [-np.inf, -np.inf]
        self.release_from = np.full((2, 3), np.nan)

    # -- the pipeline --------------------------------------------------------------------------------------------

    def process(self, times, joints, confidence=None, twist=None, finger_curl=None, finger_spread=None,
                contacts: bool = True) -> SolvedPose:
        times = np.atleast_1d(np.asarray(times, np.float64))
        src = _tracked_points(joints, confidence or {}, self.min_confidence)
        hints = {k: np.array(v, np.float64, ndmin=2) for k, v in (twist or {}).items()}
        curls = {k: np.asarray(v, np.float64).reshape(-1, 5, 3) for k, v in (finger_curl or {}).items()}
        spreads = {k: np.asarray(v, np.float64).reshape(-1, 5) for k, v in (finger_spread or {}).items()}
        pose = self._solve(len(times), src, hints, curls, spreads)
        if contacts and self.calibration.from_torso:  # no floor: no foot is ever planted
            pose.contacts, pose.anchors = np.zeros((len(times), 2), bool), np.full((len(times), 2, 3), np.nan)
        elif contacts and all(f"{side}Foot" in src for side in SIDES):
            self._pin_feet(times, src, pose)
        return pose

    def _solve(self, frames, src, hints, curls, spreads) -> SolvedPose:
        rig = self.rig
        count = rig.node_count
        world_rot = np.broadcast_to(rig.rest_world_rotation, (frames, count, 4)).copy()
        world_pos = np.broadcast_to(rig.rest_world_position, (frames, count, 3)).copy()
        local = np.broadcast_to(rig.rest_rotation, (frames, count, 4)).copy()
        ctx = _Context(rig, src, hints, curls, spreads)
        hips = rig.hips_node
        for node in rig.solve_nodes:
            parent = rig.parents[node]
            parent_rot = world_rot[:, parent] if parent >= 0 else np.array([0.0, 0.0, 0.0, 1.0])
            bone = self.node_bone.get(node)
            desired = ctx.desired_local(bone, node, parent_rot) if bone else None
            if desired is not None:
                local[:, node] = self._hold(node, desired)
            world_rot[:, node] = _qmul(parent_rot, local[:, node])
            if bone:
                ctx.delta[bone] = _qmul(world_rot[:, node], _qconj(rig.rest_world_rotation[node]))
            if node == hips:
                world_pos[:, node] = self._hold_hips(self._hips_position(src, world_rot[:, node], frames))
            elif parent >= 0:
                world_pos[:, node] = world_pos[:, parent] + rig.rest_world_scale[parent] * _qrot(
                    world_rot[:, parent], rig.rest_translation[node])
        return SolvedPose(local, rig.hips_local_translation(world_pos[:, hips]), world_rot, world_pos)

    def _hips_position(self, src, hips_rotation, frames) -> np.ndarray:
        """Where the rig's hips node goes: the source's hip-joint centre (the pelvis point every convention and
        MediaPipe agree on), scaled by the leg ratio over the floor, then the rig's own hips offset from its
        hip-joint centre, turned with the hips."""
        rig, cal = self.rig, self.calibration
        if cal.from_torso:  # no floor to measure height from: the hips stay where the rig's rest has them
            turn = _qmul(hips_rotation, _qconj(rig.rest_world_rotation[rig.hips_node]))
            rest_centre = 0.5 * (rig.rest_points["leftUpperLeg"] + rig.rest_points["rightUpperLeg"])
            offset = _qrot(turn, rig.rest_points["hips"] - rest_centre)
            return np.where(np.isfinite(offset), rest_centre + offset, rig.rest_points["hips"])
        if "leftUpperLeg" in src and "rightUpperLeg" in src:
            source = 0.5 * (src["leftUpperLeg"] + src["rightUpperLeg"])
            rest_centre = 0.5 * (rig.rest_points["leftUpperLeg"] + rig.rest_points["rightUpperLeg"])
        else:
            source = src.get("hips", np.full((frames, 3), np.nan))
            rest_centre = rig.rest_points["hips"]
        centre = cal.scale * (source - [0.0, cal.source_ground, 0.0]) + [0.0, rig.ankle_height, 0.0]
        turn = _qmul(hips_rotation, _qconj(rig.rest_world_rotation[rig.hips_node]))
        return centre + _qrot(turn, rig.rest_points["hips"] - rest_centre)

    def _hold(self, node: int, desired: np.ndarray) -> np.ndarray:
        """Untracked frames (NaN) keep the node's last tracked rotation (its rest rotation before any)."""
        valid = np.all(np.isfinite(desired), axis=-1)
        index = np.maximum.accumulate(np.where(valid, np.arange(len(desired)), -1))
        out = np.where((index >= 0)[:, None], desired[np.maximum(index, 0)], self.held_local[node])
        out = out / np.linalg.norm(out, axis=-1, keepdims=True)
        self.held_local[node] = out[-1]
        return out

    def _hold_hips(self, target: np.ndarray) -> np.ndarray:
        valid = np.all(np.isfinite(target), axis=-1)
        index = np.maximum.accumulate(np.where(valid, np.arange(len(target)), -1))
        out = np.where((index >= 0)[:, None], target[np.maximum(index, 0)], self.held_hips)
        self.held_hips = out[-1].copy()
        return out

    # -- ground contact ------------------------------------------------------------------------------------------

    def _pin_feet(self, times, src, pose: SolvedPose) -> None:
        rig, cal = self.rig, self.calibration
        feet = [rig.bone_map[f"{side}Foot"] for side in SIDES]
        ankles = np.stack([cal.scale * (src[f"{side}Foot"] - [0.0, cal.source_ground, 0.0]) for side in SIDES],
                          axis=1)
        speeds = self._ankle_speeds(times, ankles)
        heights = ankles[..., 1]
        frames = len(times)
        planted = np.zeros((frames, 2), bool)
        target_weight = np.zeros((frames, 2))
        targets = np.full((frames, 2, 3), np.nan)
        anchors = np.full((frames, 2, 3), np.nan)
        free = pose.world_positions[:, feet]
        for f in range(frames):  # a two-foot state machine: sequential by nature, cheap
            for side in range(2):
                h, v = heights[f, side], speeds[f, side]
                if not (np.isfinite(h) and np.isfinite(v)):
                    on = self.planted[side]  # untracked: keep the state
                elif self.planted[side]:
                    # A foot that keeps creeping is not planted (a shuffle, a slide): let it go.
                    drift = np.linalg.norm(ankles[f, side] - self.source_anchor[side])
                    on = (h < self.contact_height * self.hysteresis and v < self.contact_speed * self.hysteresis
                          and drift < self.max_drift)
                else:
                    settled = times[f] - self.release_time[side] >= self.release_s  # finish easing out first
                    on = settled and h < self.contact_height and v < self.contact_speed
                if on and not self.planted[side]:
                    self.anchor[side] = free[f, side]
                    self.source_anchor[side] = ankles[f, side]
                elif self.planted[side] and not on:
                    self.release_time[side] = times[f]
                    self.release_from[side] = self.anchor[side]
                self.planted[side] = on
                if on:
                    planted[f, side] = True
                    anchors[f, side] = self.anchor[side]
                    targets[f, side] = self.anchor[side]
                    target_weight[f, side] = 1.0
                else:
                    ease = (times[f] - self.release_time[side]) / self.release_s
                    if ease < 1.0:
                        targets[f, side] = self.release_from[side]
                        target_weight[f, side] = 1.0 - _smoothstep(0.0, 1.0, ease)
        if np.any(target_weight > 0):
            _pin_legs(rig, pose, targets, target_weight)
        pose.contacts, pose.anchors = planted, anchors

    def _ankle_speeds(self, times, ankles) -> np.ndarray:
        """Ankle speed over the last `speed_window_s` (causal; history carried across chunks)."""
        all_t = np.concatenate([self.history_t, times])
        all_a = np.concatenate([self.history_ankles, ankles])
        start = np.searchsorted(all_t, all_t - self.speed_window_s - 1e-9, side="left")
        current = np.arange(len(all_t))
        span = all_t - all_t[start]
        with np.errstate(invalid="ignore", divide="ignore"):
            speed = np.linalg.norm(all_a - all_a[start], axis=-1) / np.where(span > 0, span, np.inf)[:, None]
        keep = all_t >= all_t[-1] - self.speed_window_s - 1e-9
        self.history_t, self.history_ankles = all_t[keep], all_a[keep]
        return speed[current >= len(all_t) - len(times)]


def _pin_legs(rig: RigTarget, pose: SolvedPose, targets, weights) -> None:
    """Move each weighted ankle towards its target (lowering the hips when out of reach), two-bone IK, in place."""
    frames = len(weights)
    hips = rig.hips_node
    legs = [tuple(rig.bone_map[f"{side}{p}"] for p in ("UpperLeg", "LowerLeg", "Foot")) for side in SIDES]
    wp = pose.world_positions
    aim = np.where(weights[..., None] > 0, wp[:, [leg[2] for leg in legs]] * (1 - weights[..., None])
                   + np.nan_to_num(targets) * weights[..., None], np.nan)
    # How far the hips must come down so every pinned ankle is within 99.9% of the leg's reach.
    drop = np.zeros(frames)
    for index, (upper, lower, foot) in enumerate(legs):
        thigh = rig.rest_distance(upper, lower)
        shin = rig.rest_distance(lower, foot)
        reach = 0.999 * (thigh + shin)
        offset = aim[:, index] - wp[:, upper]
        horizontal = np.hypot(offset[:, 0], offset[:, 2])
        needed = -offset[:, 1] - np.sqrt(np.maximum(reach ** 2 - horizontal ** 2, 0.0))
        drop = np.maximum(drop, np.where(np.isfinite(needed), needed, 0.0))
    drop = np.minimum(drop, 0.2 * rig.leg_length)
    below = rig.solve_nodes
    wp[:, below, 1] -= drop[:, None]
    pose.hips_translation[:] = rig.hips_local_translation(wp[:, hips])
    for index, side in enumerate(SIDES):
        active = np.isfinite(aim[:, index, 0])
        if np.any(active):
            _two_bone_ik(rig, pose, side, aim[:, index], active)


def _two_bone_ik(rig: RigTarget, pose: SolvedPose, side: str, target, active) -> None:
    """Re-solve one leg so its ankle reaches `target` on the `active` frames, in place.

    The knee stays a hinge: its axis is the solved one (made perpendicular to the hip-target line), so the knee
    keeps bending forward; the bend comes from the law of cosines (clamped like the solver's) and the foot keeps
    its world orientation.
    """
    upper, lower, end = (rig.bone_map[f"{side}{part}"] for part in ("UpperLeg", "LowerLeg", "Foot"))
    wp, wr, local = pose.world_positions, pose.world_rotations, pose.local_rotations
    rest_rot = rig.rest_world_rotation
    u0, h0, rest_bend, _ = rig.rest_hinges[(side, "leg")]
    thigh = rig.rest_distance(upper, lower)
    shin = rig.rest_distance(lower, end)
    hip = wp[:, upper]
    offset = np.where(active[:, None], target, wp[:, end]) - hip
    distance = np.clip(np.linalg.norm(offset, axis=-1), abs(thigh - shin) + 1e-6, 0.9999 * (thigh + shin))
    direction = _unit(offset)
    current_hinge = _qrot(_qmul(wr[:, upper], _qconj(rest_rot[upper])), h0)
    hinge = _unit(current_hinge - _dot(current_hinge, direction)[:, None] * direction)
    pole = np.cross(direction, hinge)  # where the knee goes off the hip-ankle line (see `_hinge`)
    cos_hip = np.clip((thigh ** 2 + distance ** 2 - shin ** 2) / (2 * thigh * distance), -1.0, 1.0)
    knee = hip + thigh * (cos_hip[:, None] * direction + np.sqrt(1 - cos_hip ** 2)[:, None] * pole)
    cos_knee = np.clip((thigh ** 2 + shin ** 2 - distance ** 2) / (2 * thigh * shin), -1.0, 1.0)
    bend = np.clip(np.pi - np.arccos(cos_knee), *np.radians(HINGE_LIMITS_DEG["leg"]))
    thigh_delta = _align(knee - hip, hinge, u0, h0)
    thigh_world = _qmul(thigh_delta, rest_rot[upper])
    shin_delta = _qmul(_axis_angle(hinge, bend - rest_bend), thigh_delta)
    # A rig whose rest leg is not quite planar misses by a little: a last small swing lands the ankle exactly.
    rest_shin = rig.rest_world_position[end] - rig.rest_world_position[lower]
    reached = _qrot(shin_delta, rest_shin)
    shin_delta = _qmul(_swing(_unit(reached), _unit(hip + distance[:, None] * direction - knee)), shin_delta)
    new_world = {upper: thigh_world, lower: _qmul(shin_delta, rest_rot[lower]), end: wr[:, end].copy()}
    # Rebuild locals and world transforms from the thigh down (nodes in between keep their locals).
    for node in rig.solve_nodes:
        if node != upper and not _descends(rig.parents, node, upper):
            continue
        parent = rig.parents[node]
        if node in new_world:
            local[:, node] = np.where(active[:, None], _qmul(_qconj(wr[:, parent]), new_world[node]), local[:, node])
        wr[:, node] = _qmul(wr[:, parent], local[:, node])
        wp[:, node] = wp[:, parent] + rig.rest_world_scale[parent] * _qrot(wr[:, parent], rig.rest_translation[node])


def _descends(parents, node, ancestor) -> bool:
    node = parents[node]
    while node >= 0:
        if node == ancestor:
            return True
        node = parents[node]
    return False


class _Context:
    """One solve call: source points, rest geometry and the world deltas solved so far."""

    def __init__(self, rig, src, hints, curls, spreads):
        self.rig, self.src, self.hints, self.curls, self.spreads = rig, src, hints, curls, spreads
        self.delta: dict[str, np.ndarray] = {}  # bone -> world rotation relative to its rest world rotation
        # (side, limb) -> (world hinge axis (F, 3), clamped bend (F,)), set by the upper bone for the lower one
        self.hinge_axis: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}

    def both(self, name) -> bool:
        return name in self.src and name in self.rig.rest_points

    def first_in_both(self, names) -> str | None:
        return next((n for n in names if self.both(n)), None)

    def desired_local(self, bone: str, node: int, parent_rot) -> np.ndarray | None:
        """The bone's local rotation (F, 4) from the source, NaN where untracked; None = keep its rest."""
        world = self.desired_world(bone, node, parent_rot)
        if world is None:
            return self.finger_local(bone, node)
        return _qmul(_qconj(parent_rot), world)

    def desired_world(self, bone, node, parent_rot):
        rig = self.rig
        rest_world = rig.rest_world_rotation[node]
        if bone == "hips":
            delta = self.hips()
        elif bone in ("spine", "chest", "upperChest", "neck"):
            delta = self.torso(bone)
        elif bone == "head":
            delta = self.head()
        else:
            limb = next(((key, parts.index(bone)) for key, parts in LIMBS.items() if bone in parts[:2]), None)
            if limb is not None:
                return self.limb(limb[0], limb[1], node)
            if bone.endswith("Foot"):
                delta = self.foot(bone)
            elif bone.endswith(("Hand", "Shoulder")):
                return self.swing_or_hint(bone, node, parent_rot)
            else:
                return None
        return None if delta is None else _qmul(delta, rest_world)

    # -- rules -----------------------------------------------------------------------------------------------

    def lateral(self, points, which):
        """The right -> left direction across the hips or the shoulders (NaN where untracked)."""
        pairs = [("leftUpperLeg", "rightUpperLeg")]
        if which != "hips":
            pairs.insert(0, ("leftUpperArm", "rightUpperArm"))
        for left, right in pairs:
            if self.both(left) and self.both(right):
                return _unit(points[left] - points[right])
        return np.full(3, np.nan)

    def hint_pair(self, bone, fallback_src, fallback_rest):
        """(source secondary, rest secondary): the twist hint against the rig's rest axis, or the fallbacks."""
        if bone in self.hints:
            axis = TWIST_AXIS.get(bone, FORWARD)
            rest_axis = self.rig.rest_forward if axis is FORWARD else UP
            hint = self.hints[bone]
            usable = np.all(np.isfinite(hint), axis=-1, keepdims=True)
            if fallback_src is None:
                return hint, rest_axis
            # Frames without a hint fall back, but then the rest side must match: blend per frame.
            return np.where(usable, hint, fallback_src), np.where(usable, rest_axis, fallback_rest)
        return fallback_src, fallback_rest

    def hips(self):
        if not (self.both("hips") and self.both("leftUpperLeg") and self.both("rightUpperLeg")):
            return None
        src, rest = self.src, self.rig.rest_points
        above = self.first_in_both(("spine", "chest", "upperChest", "neck", "head"))
        up_src = None if above is None else src[above] - src["hips"]
        up_rest = None if above is None else rest[above] - rest["hips"]
        secondary, rest_secondary = self.hint_pair("hips", up_src, up_rest)
        if secondary is None:
            return None
        return _align(self.lateral(src, "hips"), secondary, self.lateral(rest, "hips"), rest_secondary)

    def torso(self, bone):
        chain = _TORSO_CHAIN
        position = chain.index(bone)
        head = self.first_in_both(reversed(chain[:position + 1]))
        tail = self.first_in_both(chain[position + 1:])
        if head is None or tail is None:
            return None
        src, rest = self.src, self.rig.rest_points
        if bone == "spine":
            # Hips hidden (an upper-body capture): the shoulders alone give the spine's twist.
            shoulders_src, shoulders_rest = self.lateral(src, "shoulders"), self.lateral(rest, "shoulders")
            both_src = _unit(self.lateral(src, "hips") + shoulders_src)
            hips_seen = np.all(np.isfinite(both_src), axis=-1, keepdims=True)
            lat_src = np.where(hips_seen, both_src, shoulders_src)
            lat_rest = np.where(hips_seen, _unit(self.lateral(rest, "hips") + shoulders_rest), shoulders_rest)
        else:
            lat_src, lat_rest = self.lateral(src, "shoulders"), self.lateral(rest, "shoulders")
        secondary, rest_secondary = self.hint_pair(bone, lat_src, lat_rest)
        return _align(src[tail] - src[head], secondary, rest[tail] - rest[head], rest_secondary)

    def head(self):
        if not self.both("head"):
            return None
        src, rest = self.src, self.rig.rest_points
        below = self.first_in_both(("neck", "upperChest", "chest", "spine", "hips"))
        lat_src, lat_rest = self.lateral(src, "shoulders"), self.lateral(rest, "shoulders")
        if self.both("headTop"):
            secondary, rest_secondary = self.hint_pair("head", lat_src, lat_rest)
            return _align(src["headTop"] - src["head"], secondary, rest["headTop"] - rest["head"], rest_secondary)
        if below is None:
            return None
        if "head" in self.hints:
            return _align(self.hints["head"], src["head"] - src[below], self.rig.rest_forward,
                          rest["head"] - rest[below])
        return _align(src["head"] - src[below], lat_src, rest["head"] - rest[below], lat_rest)

    def body_delta(self, limb):
        chain = ("hips",) if limb == "leg" else ("upperChest", "chest", "spine", "hips")
        return next((self.delta[b] for b in chain if b in self.delta), np.array([0.0, 0.0, 0.0, 1.0]))

    def limb(self, key, part, node):
        limb = key[1]
        upper, lower, end = LIMBS[key]
        rig = self.rig
        if part == 1:
            if key not in self.hinge_axis:
                return None
            axis, angle = self.hinge_axis[key]
            _, _, rest_bend, _ = self.rig.rest_hinges[key]
            return _qmul(_axis_angle(axis, angle - rest_bend), _qmul(self.delta[upper], rig.rest_world_rotation[node]))
        if not all(self.both(b) for b in (upper, lower, end)):
            return None
        u0, h0, _, default_rest = self.rig.rest_hinges[key]
        body = self.body_delta(limb)
        # The default pole swings with the limb from its rest direction, in the body's frame.
        u_src = _unit(self.src[lower] - self.src[upper])
        in_body = _qrot(_qconj(body), u_src)
        default = _qrot(body, _qrot(_swing(np.broadcast_to(u0, in_body.shape), in_body), default_rest))
        u, h, bend = _hinge(self.src[upper], self.src[lower], self.src[end], default, limb == "leg")
        delta = _align(u, h, u0, h0)
        low, high = np.radians(HINGE_LIMITS_DEG[limb])
        self.hinge_axis[key] = (_qrot(delta, h0), np.clip(bend, low, high))
        return _qmul(delta, rig.rest_world_rotation[node])

    def foot(self, bone):
        side = bone[:-4]
        key = (side, "leg")
        if not self.both(bone) or key not in self.hinge_axis:
            return None
        src, rest = self.src, self.rig.rest_points
        h_src = self.hinge_axis[key][0]
        h_rest = self.rig.rest_hinges[key][1]
        toes = f"{side}Toes"
        if self.both(toes):
            secondary, rest_secondary = self.hint_pair(bone, h_src, h_rest)
            return _align(src[toes] - src[bone], secondary, rest[toes] - rest[bone], rest_secondary)
        if bone in self.hints:
            return _align(self.hints[bone], h_src, UP, h_rest)
        return None

    def swing_or_hint(self, bone, node, parent_rot):
        """Hands and clavicles: point the bone at its tail; twist from the hint, else the parent's (shortest swing)."""
        rig = self.rig
        tail = TIP_POINTS.get(bone) or bone.replace("Shoulder", "UpperArm")
        if not (self.both(bone) and self.both(tail)):
            return None
        src, rest = self.src, rig.rest_points
        wanted = src[tail] - src[bone]
        if bone in self.hints:
            secondary, rest_secondary = self.hint_pair(bone, None, None)
            return _qmul(_align(wanted, secondary, rest[tail] - rest[bone], rest_secondary),
                         rig.rest_world_rotation[node])
        carried = _qmul(parent_rot, rig.rest_rotation[node])  # where the parent alone would put the bone
        current = _qrot(_qmul(carried, _qconj(rig.rest_world_rotation[node])), rest[tail] - rest[bone])
        return _qmul(_swing(_unit(current), _unit(wanted)), carried)

    def finger_local(self, bone, node):
        side = next((s for s in SIDES if bone.startswith(s)), None)
        if side is None or side not in self.curls or not _is_finger(bone):
            return None
        finger = next(f for f in FINGER_NAMES if f in bone)
        bones = finger_bones(side, finger)
        segment = bones.index(bone)
        rest_curl, rest_spread, bend_axis, spread_axis = _rig_finger_rest(self.rig, side, finger)
        if bend_axis is None:
            return None
        rig = self.rig
        to_local = _qconj(rig.rest_world_rotation[node])
        curl = self.curls[side][:, FINGER_NAMES.index(finger), segment] - rest_curl[segment]
        rotation = _axis_angle(_qrot(to_local, bend_axis), curl)
        if segment == 0 and side in self.spreads:
            spread = self.spreads[side][:, FINGER_NAMES.index(finger)] - rest_spread
            rotation = _qmul(_axis_angle(_qrot(to_local, spread_axis), spread), rotation)
        return _qmul(rig.rest_rotation[node], rotation)


def _rig_finger_rest(rig: RigTarget, side: str, finger: str):
    """(rest curls (3,), rest spread, bend axis, spread axis) of one rig finger, world rest frame."""
    cache = rig.finger_rest
    if (side, finger) in cache:
        return cache[(side, finger)]
    points, mapping = rig.rest_points, rig.bone_map
    bones = finger_bones(side, finger)
    hand = f"{side}Hand"
    index, little = f"{side}IndexProximal", f"{side}LittleProximal"
    if hand not in mapping or not all(b in mapping for b in bones):
        cache[(side, finger)] = (None, None, None, None)
        return cache[(side, finger)]
    if index in mapping and little in mapping:
        palm = palm_normal(points[hand], points[index], points[little], side)
    else:
        palm = -UP
    chain = [points[hand]] + [points[b] for b in bones]
    last = mapping[bones[-1]]
    kids = np.flatnonzero(rig.parents == last)
    chain.append(rig.rest_world_position[kids[0]] if len(kids) else 2 * chain[-1] - chain[-2])
    segments = [_unit(b - a) for a, b in itertools.pairwise(chain)]
    curl, spread, axis = _chain_angles(segments, palm, side)
    # Spread turns about the palm normal, towards the thumb: positive about the left palm's normal.
    spread_axis = palm if side == "left" else -palm
    cache[(side, finger)] = (curl, float(spread), axis, spread_axis)
    return cache[(side, finger)]


def _hinge(a, b, c, default_pole, is_leg: bool):
    """Upper-bone direction, hinge axis and signed bend (radians) of a three-joint limb a -> b -> c.

    The pole is where b sits off the a-c line; the hinge axis is pole x (a -> c), so a positive turn about it
    bends the lower bone the anatomical way. A pole on the wrong side of the default means hyperextension (always
    for knees; for elbows only when nearly straight, since an elbow's pole can point anywhere as the arm twists).
    """
    u = _unit(b - a)
    towards_end = _unit(c - a)
    bend = _angle_between(u, _unit(c - b))
    offset = (b - a) - _dot(b - a, towards_end)[..., None] * towards_end
    pole = _unit(offset, eps=1e-12)
    pole = np.where(np.isfinite(pole), pole, default_pole)
    wrong_side = _dot(pole, default_pole) < 0
    hyper = wrong_side & (True if is_leg else bend < np.radians(30.0))
    signed = np.where(hyper, -bend, bend)
    weight = np.where(hyper, 0.0, _smoothstep(*np.radians(STRAIGHT_BLEND_DEG), bend))[..., None]
    blended = _unit(weight * pole + (1 - weight) * default_pole)
    hinge = _unit(np.cross(blended, towards_end))
    return u, hinge, signed


# ---------------------------------------------------------------------------------------------------------------
# Public entry points


def solve_pose(rig: RigTarget, joint_positions: dict[str, np.ndarray], confidence: dict | None = None, *,
               twist: dict | None = None, calibration: RetargetCalibration | None = None) -> SolvedPose:
    """Local rotations of every rig node and the hips translation for one frame ((3,) per joint) or F frames
    ((F, 3)). Stateless and without foot pinning; the calibration defaults to one measured on these frames."""
    joints = {name: np.asarray(values, np.float64) for name, values in joint_positions.items()}
    single = all(values.ndim == 1 for values in joints.values())
    calibration = calibration or RetargetCalibration.from_motion(joints, rig, confidence)
    frames = 1 if single else len(next(iter(joints.values())))
    pose = _Solver(rig, calibration).process(np.zeros(frames), joints, confidence, twist, contacts=False)
    return pose.frame(0) if single else pose


def retarget_motion(motion: HumanoidMotion, rig: RigTarget, *, fps: float | None = None,
                    calibration: RetargetCalibration | None = None, contacts: bool = True,
                    **options) -> SolvedPose:
    """Solve a whole motion (vectorised over frames). `fps` resamples the motion first; `options` tune the solver
    (`min_confidence`, `contact_height`, `contact_speed`, `speed_window_s`, `hysteresis`, `max_drift`,
    `release_s`; see `_Solver`)."""
    if motion.frame_count == 0:
        raise InputError(None, "cannot retarget an empty motion")
    if fps is not None:
        motion = motion.resampled(fps)
    calibration = calibration or RetargetCalibration.from_motion(
        motion.joints, rig, motion.confidence, min_confidence=options.get("min_confidence", 0.05))
    solver = _Solver(rig, calibration, **options)
    pose = solver.process(motion.times, motion.joints, motion.confidence, motion.twist, motion.finger_curl,
                          motion.finger_spread, contacts=contacts)
    pose.times = motion.times.copy()
    return pose


def retarget_clip(motion: HumanoidMotion, rig: RigTarget, name: str, fps: float | None = None,
                  **options) -> AnimationClip:
    """An `AnimationClip` for `rig`'s asset: LINEAR rotation channels on every node the solver drives (the hips
    and every bone below them) and a translation channel on the hips; times start at 0."""
    pose = retarget_motion(motion, rig, fps=fps, **options)
    times = (pose.times - pose.times[0]).astype(np.float32)
    channels = [_channel(rig.hips_node, "translation", times, pose.hips_translation)]
    for node in rig.solve_nodes:
        channels.append(_channel(int(node), "rotation", times, _continuous(pose.local_rotations[:, node])))
    return AnimationClip(name, channels, extras={"retargeted": True})


def _channel(node: int, path: str, times: np.ndarray, values: np.ndarray) -> AnimationChannel:
    if len(times) > 1 and np.allclose(values, values[0], atol=1e-7):
        times, values = times[[0, -1]], values[[0, 0]]  # a held value needs two keys
    return AnimationChannel(node, path, "LINEAR", times.astype(np.float32), values.astype(np.float32))


class LiveRetargeter:
    """Frame-by-frame retargeting for live capture; the same pipeline and state as `retarget_motion`, so with the
    same calibration and inputs it gives the same poses (to floating-point rounding).

    Without a calibration the first frame that tracks both legs calibrates (leg length, and its lower ankle as the
    floor: start the performer standing). A performer seen only from the waist up calibrates from the torso once
    the shoulders have been tracked for `torso_wait_s` seconds without the legs (the median over those frames; the
    hips then stay at the rig's rest height); if both legs come into view later, they calibrate again then. Until
    a calibration `update` returns the rest pose.
    """

    def __init__(self, rig: RigTarget, calibration: RetargetCalibration | None = None, *,
                 torso_wait_s: float = 0.5, **options):
        self.rig = rig
        self.options = options
        self.calibration = calibration
        self.torso_wait_s = torso_wait_s
        self._auto = calibration is None  # calibrated here (from the torso it may be upgraded to the legs)
        self._torso_frames: list[tuple[float, dict[str, np.ndarray]]] = []  # shoulders seen, legs not yet
        self._solver = None if calibration is None else _Solver(rig, calibration, **options)

    def update(self, t: float, joints: dict[str, np.ndarray], confidence: dict | None = None,
               twist: dict | None = None, finger_curl: dict | None = None,
               finger_spread: dict | None = None) -> SolvedPose:
        """Solve one frame: `joints` name -> (3,) world position (metres, engine frame)."""
        if self._auto and (self.calibration is None or self.calibration.from_torso):
            self._calibrate(float(t), joints, confidence or {})
            if self.calibration is None:
                return self.rest_pose(t)
        pose = self._solver.process([t], joints, confidence, twist, finger_curl, finger_spread)
        pose.times = np.array([t], np.float64)
        return pose.frame(0)

    def _calibrate(self, t: float, joints, confidence) -> None:
        min_confidence = self.options.get("min_confidence", 0.05)
        points = _tracked_points(joints, confidence, min_confidence)
        try:
            calibration = RetargetCalibration.from_motion(points, self.rig, torso=False)
        except InputError:
            calibration = None
            if self.calibration is None and np.isfinite(_torso_ratio(points, self.rig)):
                self._torso_frames = [(ft, fp) for ft, fp in self._torso_frames if ft <= t] + [(t, points)]
                if t - self._torso_frames[0][0] >= self.torso_wait_s - 1e-9:
                    missing = np.full((1, 3), np.nan)
                    seen = {name: np.concatenate([fp.get(name, missing) for _, fp in self._torso_frames])
                            for name in ("leftUpperArm", "rightUpperArm", "leftUpperLeg", "rightUpperLeg")}
                    calibration = RetargetCalibration.from_motion(seen, self.rig)
                    self._torso_frames = []
        if calibration is None:
            return
        self.calibration = calibration
        if self._solver is None:
            self._solver = _Solver(self.rig, calibration, **self.options)
        else:  # the legs came into view after a torso calibration: keep the solver's state, measure from the legs
            self._solver.calibration = calibration

    def rest_pose(self, t: float = 0.0) -> SolvedPose:
        rig = self.rig
        return SolvedPose(rig.rest_rotation.copy(), rig.rest_translation[rig.hips_node].copy(),
                          rig.rest_world_rotation.copy(), rig.rest_world_position.copy(),
                          np.zeros(2, bool), np.full((2, 3), np.nan), np.float64(t))
