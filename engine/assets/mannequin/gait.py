"""Legs by inverse kinematics: planted feet for standing clips and an in-place walk cycle.

The walk is designed from the feet up. Each foot's stance is a ground anchor
sliding backwards at exactly the walk speed (so a scene moving the character
forward at `walk_speed` sees no foot sliding), rolling over the heel at
strike and over the ball at push-off; its height comes from the actual shoe
sole points, so the sole touches y = 0 and never goes below. The swing foot
follows a Hermite arc between push-off and the next heel strike. Two-bone
IK then places hips, knees and ankles.
"""

from __future__ import annotations

import numpy as np

from engine.assets.mannequin import rotations as rot
from engine.assets.mannequin.geometry import monotone_cubic
from engine.assets.mannequin.pose import Track, curl_fingers, relaxed_arms
from engine.assets.mannequin.skeleton import SIDES, Skeleton
from engine.assets.mannequin.variants import Variant

WALK_CYCLE_SECONDS = 1.1  # two steps
STANCE_FRACTION = 0.62
TOE_OUT_DEGREES = 6.0
_MAX_REACH = 0.985  # of the straight leg: knees never lock, so IK stays well conditioned

# Foot pitch (degrees, + = heel up) over stance and swing, and the toe's bend back during push-off.
_STANCE_PITCH = ((0.0, -15.0), (0.14, 0.0), (0.52, 0.0), (1.0, 42.0))
_SWING_PITCH = ((0.0, 42.0), (0.25, 22.0), (0.7, -6.0), (1.0, -15.0))
_SWING_TOE = ((0.0, -42.0), (0.3, -12.0), (0.6, 0.0), (1.0, 0.0))


def walk_speed(variant: Variant) -> float:
    """Forward speed (m/s) matching the walk clip: stride length over cycle time."""
    return stride_length(variant) / WALK_CYCLE_SECONDS


def stride_length(variant: Variant) -> float:
    return round(1.40 * variant.body.hip_joint_height, 3)


def _curve(keys, x) -> np.ndarray:
    keys = np.asarray(keys, np.float64)
    return np.radians(monotone_cubic(keys[:, 0], keys[:, 1:], np.asarray(x, np.float64))[:, 0])


class FootContact:
    """Sole points of one shoe, relative to its ankle and ball joints, for ground contact."""

    def __init__(self, skeleton: Skeleton, side: str, points: dict[str, np.ndarray]):
        self.ankle = skeleton.positions[skeleton.index(f"{side}Foot")]
        self.ball = skeleton.positions[skeleton.index(f"{side}ToeBase")]
        self.heel_points = points["Foot"] - self.ankle
        self.toe_points = points["ToeBase"] - self.ball
        sole = np.concatenate([points["Foot"], points["ToeBase"]])
        self.heel = np.array([self.ankle[0], 0.0, sole[:, 2].min() + 0.015])  # where the heel rolls
        self.ball_ground = np.array([self.ankle[0], 0.0, self.ball[2]])

    def ankle_height(self, foot_rotation: np.ndarray, toe_bend: np.ndarray) -> np.ndarray:
        """Ankle height per frame that rests the lowest sole point on y = 0."""
        heel = rot.rotate(foot_rotation[:, None], self.heel_points[None])[..., 1].min(axis=1)
        toe_rotation = rot.quat_multiply(foot_rotation, rot.about_x(toe_bend))
        toe = (rot.rotate(foot_rotation, self.ball - self.ankle)[:, 1]
               + rot.rotate(toe_rotation[:, None], self.toe_points[None])[..., 1].min(axis=1))
        return -np.minimum(heel, toe)


def solve_legs(track: Track, ankles: dict[str, np.ndarray], feet: dict[str, np.ndarray], toes: dict[str, np.ndarray]) -> None:
    """Two-bone IK for both legs: world ankle targets, world foot rotations, toe bends (radians)."""
    skeleton = track.skeleton
    hips_rotation = track.get("Hips")
    for side in SIDES:
        hip_joint, knee, ankle = skeleton.positions[skeleton.indices(f"{side}UpLeg", f"{side}Leg", f"{side}Foot")]
        thigh, shin = np.linalg.norm(knee - hip_joint), np.linalg.norm(ankle - knee)
        hip = track.hips + rot.rotate(hips_rotation, hip_joint - skeleton.positions[skeleton.index("Hips")])
        reach = ankles[side] - hip
        distance = np.clip(np.linalg.norm(reach, axis=1), 1e-4, 0.9995 * (thigh + shin))
        down = reach / np.linalg.norm(reach, axis=1, keepdims=True)
        pole = rot.rotate(feet[side], np.array([0.0, 0.0, 1.0]))  # knees point where the foot points
        forward = pole - np.sum(pole * down, axis=1, keepdims=True) * down
        forward /= np.linalg.norm(forward, axis=1, keepdims=True)
        frame = np.stack([np.cross(-down, forward), -down, forward], axis=-1)  # images of X, Y, Z
        hip_bend = np.arccos(np.clip((thigh**2 + distance**2 - shin**2) / (2 * thigh * distance), -1, 1))
        knee_bend = np.pi - np.arccos(np.clip((thigh**2 + shin**2 - distance**2) / (2 * thigh * shin), -1, 1))
        thigh_world = rot.quat_multiply(rot.from_matrix(frame), rot.about_x(-hip_bend))
        knee_local = rot.about_x(knee_bend)
        track.set(f"{side}UpLeg", rot.quat_multiply(rot.conjugate(hips_rotation), thigh_world))
        track.set(f"{side}Leg", knee_local)
        track.set(f"{side}Foot", rot.quat_multiply(rot.conjugate(rot.quat_multiply(thigh_world, knee_local)), feet[side]))
        track.set(f"{side}ToeBase", rot.about_x(toes[side]))


def plant_feet(track: Track, contacts: dict[str, FootContact]) -> None:
    """Keep both feet flat where they stand at rest (slightly toed out) while the hips move."""
    frames = len(track.times)
    ankles, feet, toes = {}, {}, {}
    for side, sign in zip(SIDES, (1.0, -1.0)):
        feet[side] = np.tile(rot.about_y(np.radians(sign * TOE_OUT_DEGREES)), (frames, 1))
        toes[side] = np.zeros(frames)
        ankle = np.tile(contacts[side].ankle, (frames, 1))
        ankle[:, 1] = contacts[side].ankle_height(feet[side], toes[side])
        ankles[side] = ankle
    solve_legs(track, ankles, feet, toes)


def walk(variant: Variant, skeleton: Skeleton, contacts: dict[str, FootContact]) -> Track:
    track = Track(skeleton, WALK_CYCLE_SECONDS)
    s = variant.body.height / 1.75
    speed, stride = walk_speed(variant), stride_length(variant)
    phase = track.phase
    cycle = 2 * np.pi * phase

    # Pelvis: turns with the leading leg, drops on the swing side, sways over the stance foot.
    yaw, roll = np.radians(-5.0) * np.cos(cycle), np.radians(3.0) * np.sin(cycle)
    track.set("Hips", rot.compose(rot.about_y(yaw), rot.about_z(roll), rot.about_x(np.radians(2.0))))
    track.hips[:, 0] += 0.022 * s * np.sin(cycle)
    track.hips[:, 1] += -0.02 * s - 0.011 * s * np.cos(2 * cycle)  # lowest at heel strikes

    ankles, feet, toes = {}, {}, {}
    for side, sign, offset in zip(SIDES, (1.0, -1.0), (0.0, 0.5)):
        ankles[side], feet[side], toes[side] = _foot_cycle((phase + offset) % 1.0, contacts[side], sign, speed, stride)
    _limit_hips_to_reach(track, ankles)
    solve_legs(track, ankles, feet, toes)

    # Spine counter-rotates so the chest and head stay square to the direction of travel.
    lean = np.radians(2.5)
    track.set("Spine", rot.compose(rot.about_y(-0.45 * yaw), rot.about_z(-0.5 * roll), rot.about_x(lean)))
    track.set("Spine1", rot.compose(rot.about_y(-0.35 * yaw), rot.about_z(-0.3 * roll)))
    track.set("Spine2", rot.compose(rot.about_y(-0.3 * yaw), rot.about_z(-0.2 * roll)))
    track.set("Neck", rot.compose(rot.about_y(0.1 * yaw), rot.about_x(-lean - np.radians(2.0))))
    track.set("Head", rot.about_x(np.radians(1.5) * np.cos(2 * cycle)))

    # Arms swing against the legs, a little behind them; elbows bend more on the forward swing.
    relaxed_arms(track, skeleton, down_degrees=78.0)
    curl_fingers(track, skeleton, 0.8)
    arm = {}
    for side, offset in zip(SIDES, (0.5, 0.0)):
        forward = np.cos(2 * np.pi * (phase - offset - 0.04))  # +1 = fully forward
        arm[side] = (rot.compose(rot.about_x(np.radians(-(3.0 + 16.0 * forward))), rot.about_z(np.radians(-78.0))),
                     rot.about_y(np.radians(-(16.0 + 12.0 * np.clip(forward, 0.0, None)))))
    track.set_both("Arm", arm["Left"][0], arm["Right"][0])
    track.set_both("ForeArm", arm["Left"][1], arm["Right"][1])
    return track


def _foot_cycle(phase: np.ndarray, contact: FootContact, sign: float, speed: float, stride: float):
    """World ankle position, foot rotation and toe bend for one foot; heel strike at phase 0."""
    stance_time = STANCE_FRACTION * WALK_CYCLE_SECONDS
    swing_time = WALK_CYCLE_SECONDS - stance_time
    toe_out = rot.about_y(np.radians(sign * TOE_OUT_DEGREES))
    # The anchor is where the heel would be if the foot were flat; it slides back at walk speed.
    strike_z = 0.5 * STANCE_FRACTION * stride - 0.10 * np.linalg.norm(contact.ball - contact.ankle) / 0.13

    def stance(s: np.ndarray):
        pitch = _curve(_STANCE_PITCH, s)
        foot = rot.quat_multiply(toe_out, rot.about_x(pitch))
        toe = -np.clip(pitch, 0.0, None)  # toes stay flat on the ground while the heel lifts
        pivot = np.where((pitch < 0)[:, None], contact.heel, contact.ball_ground)
        anchor = np.stack([np.full_like(s, contact.heel[0]), np.zeros_like(s), strike_z - speed * stance_time * s], -1)
        ground = anchor + rot.rotate(toe_out, pivot - contact.heel)
        ankle = ground - rot.rotate(foot, pivot - contact.ankle)
        ankle[:, 1] = contact.ankle_height(foot, toe)
        return ankle, foot, toe

    stance_phase = phase < STANCE_FRACTION
    s = np.clip(phase / STANCE_FRACTION, 0.0, 1.0)
    w = np.clip((phase - STANCE_FRACTION) / (1.0 - STANCE_FRACTION), 0.0, 1.0)
    ankle, foot, toe = stance(s)

    ends = np.array([1.0 - 1e-3, 1.0, 0.0, 1e-3])
    end_ankles = stance(ends)[0]
    start, end = end_ankles[1], end_ankles[2]
    # Leave and land moving with the ground (Hermite tangents = stance velocity over the swing time).
    leave = (end_ankles[1] - end_ankles[0]) / (1e-3 * stance_time) * swing_time
    land = (end_ankles[3] - end_ankles[2]) / (1e-3 * stance_time) * swing_time
    h00, h10, h01, h11 = 2 * w**3 - 3 * w**2 + 1, w**3 - 2 * w**2 + w, -2 * w**3 + 3 * w**2, w**3 - w**2
    swing_ankle = h00[:, None] * start + h10[:, None] * leave + h01[:, None] * end + h11[:, None] * land
    swing_pitch = _curve(_SWING_PITCH, w)
    swing_foot = rot.quat_multiply(toe_out, rot.about_x(swing_pitch))
    swing_toe = _curve(_SWING_TOE, w)
    lift = 0.045 * np.sin(np.pi * w) ** 1.5
    swing_ankle[:, 1] = contact.ankle_height(swing_foot, swing_toe) + lift

    return (np.where(stance_phase[:, None], ankle, swing_ankle),
            np.where(stance_phase[:, None], foot, swing_foot),
            np.where(stance_phase, toe, swing_toe))


def _limit_hips_to_reach(track: Track, ankles: dict[str, np.ndarray]) -> None:
    """Lower the hips where a straight leg could not reach its foot, then smooth the result."""
    skeleton = track.skeleton
    hips_rest = skeleton.positions[skeleton.index("Hips")]
    hips_rotation = track.get("Hips")
    limit = track.hips[:, 1].copy()
    for side in SIDES:
        hip_joint, knee, ankle = skeleton.positions[skeleton.indices(f"{side}UpLeg", f"{side}Leg", f"{side}Foot")]
        length = _MAX_REACH * (np.linalg.norm(knee - hip_joint) + np.linalg.norm(ankle - knee))
        hip = track.hips + rot.rotate(hips_rotation, hip_joint - hips_rest)
        horizontal = np.linalg.norm((ankles[side] - hip)[:, [0, 2]], axis=1)
        highest_hip = ankles[side][:, 1] + np.sqrt(np.clip(length**2 - horizontal**2, 0.0, None))
        limit = np.minimum(limit, track.hips[:, 1] - (hip[:, 1] - highest_hip))
    # Circular smoothing keeps the loop seamless; the final min keeps every frame reachable.
    kernel = np.array([1.0, 4.0, 6.0, 4.0, 1.0]) / 16.0
    body = limit[:-1]
    smooth = sum(w * np.roll(body, k - 2) for k, w in enumerate(kernel))
    track.hips[:, 1] = np.minimum(np.append(smooth, smooth[0]), limit)
