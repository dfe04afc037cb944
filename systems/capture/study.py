"""The capture fidelity study: known poses of the mannequin, rendered, captured, retargeted and compared.

Each pose in `POSES` is a handful of joint rotations of `assets/characters/mannequin_a.glb`, given about the
character's own axes (left +X, up +Y, forward +Z) relative to the parent bone, so "the knee bends 80 degrees" means
what it says on any rig (`local_rotations` turns them into node rotations through the rig's rest world rotations).
The hips come down until the lower foot stands on the floor. For every pose and camera (`VIEWS`: from the front,
and 30 degrees round to the character's left):

1. `StudyStage` (a `CaptureStage` standing farther back) renders the posed mannequin headless, 640x480;
2. `CaptureTracker` (MediaPipe Pose, image mode) finds the body, or not: the detection rate;
3. `humanoid_motion_from_landmarks` + `retarget_motion` put what it found back onto the same mannequin;
4. forward kinematics of the posed and of the retargeted rig give the joint angles compared (`ANGLES`): elbow and
   knee flexion, shoulder elevation (upper arm against the torso's down axis, hip centre minus shoulder centre),
   hip flexion (thigh against the same axis) and the spine's lean (hip centre to shoulder centre against up). Every
   angle is unsigned and unchanged by a turn about the vertical, so the side view (whose landmarks come in the
   camera's frame) is compared the same way.

`run_study()` returns the per-pose errors, per-angle medians, the median over every angle of every detected pose
(the issue's target: at most 15 degrees) and the detection rate, per view; and, to tell the tracker's error from the
retargeting's, the median of the same angles measured on MediaPipe's world landmarks themselves
(`landmark_median_error_deg`), how often MediaPipe took the figure's front for its back (`facing_flips`: left and
right swap and the depth turns round, so a knee bent towards the camera reads as hyperextended and is solved
straight), and the figures from the world landmarks alone (`world_landmarks_only`). The main figures retarget as
takes do: world landmarks whose x and y come from the image landmarks (`refine_with_image_landmarks`). With `out_image` it also writes a contact
sheet: per pose and view, the capture with the landmarks MediaPipe found drawn over it, the retargeted mannequin from
the same camera (MediaPipe's world landmarks are in the camera's frame, so the retargeted figure is turned by the
camera's yaw before it is drawn), and the angle errors underneath (red above 15 degrees).

    python -m systems.capture.study out/capture_study.png     # prints the JSON, writes the sheet
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.query import Read
from systems.capture.retarget import _qconj, _qmul, _qrot
from systems.capture.stage import CaptureStage

TARGET_DEG = 15.0
SIZE = (640, 480)
# The stage's "body" framing cuts the feet and a raised hand: the study stands a little farther back.
CAMERA_DISTANCE = 4.1
CAMERA_HEIGHT = 0.95
LOOK_AT = (0.0, 0.92, 0.0)
FOCAL_MM = 35.0
VIEWS = {"front": 0.0, "side30": 30.0}  # camera yaw round the character (degrees; positive: towards its left)

X, Y, Z = (1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)


@dataclass(frozen=True)
class StudyPose:
    name: str
    # canonical bone -> turns (axis in the character's frame, degrees), applied in order, relative to the parent
    turns: dict[str, tuple[tuple[tuple[float, float, float], float], ...]]
    note: str = ""


def _pose(name: str, note: str = "", **turns) -> StudyPose:
    # a bone takes one turn (axis, degrees) or several ((axis, degrees), ...)
    return StudyPose(name, {bone: (value,) if isinstance(value[1], (int, float)) else tuple(value)
                            for bone, value in turns.items()}, note)


# Signs, on this rig at rest (T-pose, facing +Z): an arm comes down about -Z (left) / +Z (right); forward about -Y
# (left) / +Y (right); a thigh swings forward about -X and a knee bends (shin back) about +X; the spine leans
# forward about +X and sideways (to the right) about +Z.
ARMS_DOWN = {"leftUpperArm": (Z, -70.0), "rightUpperArm": (Z, 70.0)}
POSES: tuple[StudyPose, ...] = (
    _pose("a_pose", "arms 70 deg down at the sides", **ARMS_DOWN),
    _pose("arm_raised", "right arm 70 deg above horizontal, left down", leftUpperArm=(Z, -70.0),
          rightUpperArm=(Z, -70.0)),
    _pose("arms_forward", "both arms straight forward", leftUpperArm=(Y, -90.0), rightUpperArm=(Y, 90.0)),
    _pose("elbows_forward", "arms down, elbows 90 deg, forearms forward", leftUpperArm=(Z, -75.0),
          rightUpperArm=(Z, 75.0), leftLowerArm=(Y, -90.0), rightLowerArm=(Y, 90.0)),
    _pose("goal_post", "upper arms level, elbows 90 deg, forearms up", leftLowerArm=(Z, 90.0),
          rightLowerArm=(Z, -90.0)),
    _pose("hands_on_hips", "upper arms 45 deg down, elbows 95 deg towards the hips", leftUpperArm=(Z, -45.0),
          rightUpperArm=(Z, 45.0), leftLowerArm=(Z, -95.0), rightLowerArm=(Z, 95.0)),
    _pose("wave", "right upper arm level, forearm up 80 deg, left down", leftUpperArm=(Z, -70.0),
          rightUpperArm=(Z, -10.0), rightLowerArm=(Z, -80.0)),
    _pose("side_lean", "spine bent 25 deg to the right, arms down", spine=(Z, 12.0), chest=(Z, 8.0),
          upperChest=(Z, 5.0), leftUpperArm=(Z, -75.0), rightUpperArm=(Z, 60.0)),
    _pose("squat", "thighs 60 deg forward, knees 80 deg, spine bent 25 deg forward, arms forward",
          leftUpperLeg=(X, -60.0), rightUpperLeg=(X, -60.0), leftLowerLeg=(X, 80.0), rightLowerLeg=(X, 80.0),
          leftFoot=(X, -20.0), rightFoot=(X, -20.0), spine=(X, 15.0), chest=(X, 10.0),
          leftUpperArm=(Y, -90.0), rightUpperArm=(Y, 90.0)),
    _pose("lunge", "left thigh 60 deg forward, knee 75 deg; right thigh 25 deg back, knee 40 deg; arms down",
          leftUpperLeg=(X, -60.0), leftLowerLeg=(X, 75.0), leftFoot=(X, -15.0), rightUpperLeg=(X, 25.0),
          rightLowerLeg=(X, 40.0), rightFoot=(X, -10.0), **ARMS_DOWN),
    _pose("knee_raise", "right thigh 75 deg forward, knee 80 deg, standing on the left, arms down",
          rightUpperLeg=(X, -75.0), rightLowerLeg=(X, 80.0), **ARMS_DOWN),
    _pose("bow", "spine bent 35 deg forward, arms forward and 30 deg down", spine=(X, 15.0), chest=(X, 12.0),
          upperChest=(X, 8.0), leftUpperArm=((Y, -90.0), (X, 30.0)), rightUpperArm=((Y, 90.0), (X, 30.0))),
)
FAST_POSES = ("a_pose", "elbows_forward", "goal_post", "squat", "knee_raise")

ANGLES = ("elbow_left", "elbow_right", "knee_left", "knee_right", "shoulder_left", "shoulder_right", "hip_left",
          "hip_right", "spine_lean")
ANGLE_GROUPS = ("elbow", "knee", "shoulder", "hip", "spine_lean")


# ---------------------------------------------------------------------------------------------------------------
# Posing and measuring (quaternions xyzw; q1 * q2 applies q2 first)


def _about(axis, degrees: float) -> np.ndarray:
    half = math.radians(degrees) / 2.0
    axis = np.asarray(axis, np.float64) / np.linalg.norm(axis)
    return np.array([*(axis * math.sin(half)), math.cos(half)])


def local_rotations(rig, pose: StudyPose) -> np.ndarray:
    """(N, 4) local rotations of every rig node: rest, with the pose's turns about the character's axes.

    A turn R about the character's frame, relative to the parent, of a bone with rest local rotation L and rest
    world rotation W is the local rotation L * (W^-1 R W): at rest the bone's world rotation becomes R W."""
    local = rig.rest_rotation.copy()
    for bone, turns in pose.turns.items():
        node = rig.bone_map[bone]
        turn = np.array([0.0, 0.0, 0.0, 1.0])
        for axis, degrees in turns:
            turn = _qmul(_about(axis, degrees), turn)
        rest_world = rig.rest_world_rotation[node]
        local[node] = _qmul(rig.rest_rotation[node], _qmul(_qconj(rest_world), _qmul(turn, rest_world)))
    return local


def forward_kinematics(rig, local: np.ndarray, hips_translation: np.ndarray) -> np.ndarray:
    """(N, 3) world positions of every node."""
    translation = rig.rest_translation.copy()
    translation[rig.hips_node] = hips_translation
    world_rot = np.zeros((rig.node_count, 4))
    world_pos = np.zeros((rig.node_count, 3))
    scale = rig.rest_world_scale
    for node, parent in enumerate(rig.parents):
        if parent < 0:
            world_rot[node], world_pos[node] = local[node], translation[node]
        else:
            world_rot[node] = _qmul(world_rot[parent], local[node])
            world_pos[node] = world_pos[parent] + scale[parent] * _qrot(world_rot[parent], translation[node])
    return world_pos


def grounded_hips(rig, local: np.ndarray) -> np.ndarray:
    """The hips translation that puts the lower foot (ankle or toes) at its rest height: standing on the floor."""
    hips = rig.rest_translation[rig.hips_node].copy()
    world = forward_kinematics(rig, local, hips)
    feet = [rig.bone_map[f"{side}{part}"] for side in ("left", "right") for part in ("Foot", "Toes")
            if f"{side}{part}" in rig.bone_map]
    lift = np.min(world[feet, 1] - rig.rest_world_position[feet, 1])
    parent = rig.parents[rig.hips_node]
    down = np.array([0.0, -lift, 0.0])
    if parent >= 0:  # the drop in the hips' parent frame
        down = _qrot(_qconj(rig.rest_world_rotation[parent]), down) / rig.rest_world_scale[parent]
    return hips + down


def _angle(a, b) -> float:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return math.degrees(math.atan2(np.linalg.norm(np.cross(a, b)), float(np.dot(a, b))))


def joint_angles(rig, world_pos: np.ndarray) -> dict[str, float]:
    """The compared angles (degrees) of a posed rig from its joint positions (see the module docstring)."""
    return _angles_of(lambda bone: world_pos[rig.bone_map[bone]])


# MediaPipe Pose landmark of each joint the angles use (the performer's own sides)
_LANDMARK_OF = {"leftUpperArm": 11, "rightUpperArm": 12, "leftLowerArm": 13, "rightLowerArm": 14, "leftHand": 15,
                "rightHand": 16, "leftUpperLeg": 23, "rightUpperLeg": 24, "leftLowerLeg": 25, "rightLowerLeg": 26,
                "leftFoot": 27, "rightFoot": 28}


def landmark_angles(pose_world: np.ndarray) -> dict[str, float]:
    """The same angles straight from MediaPipe's world landmarks (33, 3+): what the tracker itself measured,
    before any retargeting (y down there, so up is -y)."""
    points = np.asarray(pose_world, np.float64)[:, :3] * np.array([1.0, -1.0, -1.0])
    return _angles_of(lambda bone: points[_LANDMARK_OF[bone]])


def _angles_of(at) -> dict[str, float]:
    shoulders = 0.5 * (at("leftUpperArm") + at("rightUpperArm"))
    hips = 0.5 * (at("leftUpperLeg") + at("rightUpperLeg"))
    down = hips - shoulders
    angles = {}
    for side in ("left", "right"):
        for limb, parts in (("elbow", ("UpperArm", "LowerArm", "Hand")), ("knee", ("UpperLeg", "LowerLeg", "Foot"))):
            a, b, c = (at(f"{side}{part}") for part in parts)
            angles[f"{limb}_{side}"] = _angle(b - a, c - b)
        angles[f"shoulder_{side}"] = _angle(at(f"{side}LowerArm") - at(f"{side}UpperArm"), down)
        angles[f"hip_{side}"] = _angle(at(f"{side}LowerLeg") - at(f"{side}UpperLeg"), down)
    angles["spine_lean"] = _angle(-down, (0.0, 1.0, 0.0))
    return {name: angles[name] for name in ANGLES}


# ---------------------------------------------------------------------------------------------------------------
# The stage, with the study's cameras


class StudyStage(CaptureStage):
    """`CaptureStage` with the whole figure in frame, a camera that can go round the character, and a way to pose
    every node and the hips translation (to draw a solved pose)."""

    def __init__(self, size: tuple[int, int] = SIZE):
        super().__init__("body", size)
        from components.camera import Camera

        self._camera = next(int(e) for view in self.app.world.query(Read(Camera)) for e in view.entities)
        self.app.world.set(self._camera, Camera.focal_length_mm, FOCAL_MM)
        self.hips_node = next(i for i, node in enumerate(self.model.asset.nodes) if node.name == "Hips")
        self.view(0.0)

    def view(self, yaw_deg: float) -> None:
        """Put the camera `yaw_deg` round the character (positive: towards its left, +X), looking at its middle."""
        from components.motion import LookAt
        from components.transform import Transform

        yaw = math.radians(yaw_deg)
        eye = (CAMERA_DISTANCE * math.sin(yaw), CAMERA_HEIGHT, CAMERA_DISTANCE * math.cos(yaw))
        world = self.app.world
        world.set(self._camera, Transform.translation, eye)
        world.set(self._camera, LookAt.point, LOOK_AT)

    def render_nodes(self, local: np.ndarray, hips_translation: np.ndarray, yaw_deg: float = 0.0) -> np.ndarray:
        """(H, W, 3) RGB with every node's local rotation and the hips translation set, the figure turned by
        `yaw_deg` about the vertical."""
        from components.model import ModelInstance
        from components.transform import Transform

        world = self.app.world
        offset = int(world.get(self.entity, ModelInstance.pose_offset))
        self.pose()
        self.pool.rotation[offset: offset + len(local)] = local
        self.pool.translation[offset + self.hips_node] = hips_translation
        world.set(self.entity, Transform.rotation, _about(Y, yaw_deg))
        try:
            return self._frame()
        finally:
            world.set(self.entity, Transform.rotation, (0.0, 0.0, 0.0, 1.0))
            self.pool.translation[offset + self.hips_node] = self.model.rest_translation[self.hips_node]

    def _frame(self) -> np.ndarray:
        self._time += 1.0 / 30.0
        return np.ascontiguousarray(self.output.frame_at(self.app, self._time))


# ---------------------------------------------------------------------------------------------------------------
# The study


@dataclass
class Sample:
    pose: StudyPose
    view: str
    capture: np.ndarray  # the render MediaPipe saw
    landmarks: np.ndarray | None  # (33, 4) normalised image landmarks, None when no body was found
    retargeted: np.ndarray | None  # render of the retargeted mannequin, same camera
    posed_angles: dict[str, float]
    solved_angles: dict[str, float] | None
    errors: dict[str, float] | None
    landmark_errors: dict[str, float] | None = None  # MediaPipe's own angles against the posed ones
    refined_errors: dict[str, float] | None = None  # retargeted from the world landmarks alone (for comparison)
    facing_error_deg: float | None = None  # where the solved hips face, against where the figure faced the camera

    @property
    def facing_flipped(self) -> bool:
        """MediaPipe took the front for the back (or the reverse): left and right swap, depth turns round."""
        return self.facing_error_deg is not None and self.facing_error_deg > 90.0


def run_study(out_image: str | None = None, poses: tuple[str, ...] | None = None,
              views: tuple[str, ...] | None = None, models=None) -> dict:
    """Run the study (every pose in `POSES` and every view in `VIEWS` unless narrowed) and return its figures;
    write the contact sheet to `out_image` when given. `models`: MediaPipe bundles as `CaptureTracker` takes them."""
    from systems.capture.retarget import RigTarget, humanoid_motion_from_landmarks, retarget_motion
    from systems.capture.trackers import CaptureTracker

    chosen = [p for p in POSES if poses is None or p.name in poses]
    if poses is not None and len(chosen) != len(set(poses)):
        unknown = sorted(set(poses) - {p.name for p in chosen})
        raise ValueError(f"unknown study poses: {', '.join(unknown)}")
    view_names = tuple(views or VIEWS)
    if set(view_names) - set(VIEWS):
        raise ValueError(f"unknown study views: {', '.join(sorted(set(view_names) - set(VIEWS)))}")
    samples: list[Sample] = []
    with StudyStage() as stage, CaptureTracker(pose=True, face=False, mode="image", models=models) as tracker:
        rig = RigTarget.from_asset(stage.model.asset)
        for view in view_names:
            yaw = VIEWS[view]
            stage.view(yaw)
            for pose in chosen:
                local = local_rotations(rig, pose)
                hips = grounded_hips(rig, local)
                posed_angles = joint_angles(rig, forward_kinematics(rig, local, hips))
                capture = stage.render_nodes(local, hips)
                frame = tracker.process(capture, 0.0)
                if frame.pose_world is None:
                    samples.append(Sample(pose, view, capture, None, None, posed_angles, None, None))
                    continue
                # As takes do: world landmarks with x, y sharpened by the image landmarks.
                motion = humanoid_motion_from_landmarks(
                    np.zeros(1), frame.pose_world[None].astype(np.float64), pose_image=frame.pose_image[None],
                    image_aspect=capture.shape[1] / capture.shape[0])
                solved = retarget_motion(motion, rig, contacts=False)
                solved_angles = joint_angles(rig, solved.world_positions[0])
                errors = {name: abs(solved_angles[name] - posed_angles[name]) for name in ANGLES}
                tracked = landmark_angles(frame.pose_world)
                landmark_errors = {name: abs(tracked[name] - posed_angles[name]) for name in ANGLES}
                # For comparison: the world landmarks alone (what MediaPipe's 3D output gives).
                world_only = retarget_motion(humanoid_motion_from_landmarks(
                    np.zeros(1), frame.pose_world[None].astype(np.float64)), rig, contacts=False)
                world_only_angles = joint_angles(rig, world_only.world_positions[0])
                refined_errors = {name: abs(world_only_angles[name] - posed_angles[name]) for name in ANGLES}
                retargeted = stage.render_nodes(solved.local_rotations[0], solved.hips_translation[0], yaw)
                samples.append(Sample(pose, view, capture, frame.pose_image, retargeted, posed_angles,
                                      solved_angles, errors, landmark_errors, refined_errors,
                                      _facing_error(rig, solved, yaw)))
    figures = _figures(samples, view_names, chosen)
    if out_image:
        contact_sheet(samples, view_names, chosen).save(_prepared(out_image))
        figures["contact_sheet"] = str(out_image)
    return figures


def _facing_error(rig, solved, yaw_deg: float) -> float:
    """Degrees between where the solved hips face (MediaPipe's frame is the camera's) and where the figure faced
    the camera (`yaw_deg` round from its front, so it faced -yaw in the camera's frame), about the vertical."""
    hips = rig.hips_node
    turn = _qmul(solved.world_rotations[0, hips], _qconj(rig.rest_world_rotation[hips]))
    forward = _qrot(turn, rig.rest_forward)
    facing = math.degrees(math.atan2(forward[0], forward[2]))
    return abs((facing + yaw_deg + 180.0) % 360.0 - 180.0)


def _figures(samples: list[Sample], views, poses) -> dict:
    def rounded(value):
        return None if value is None or not np.isfinite(value) else round(float(value), 1)

    by_view = {}
    for view in views:
        mine = [s for s in samples if s.view == view]
        found = [s for s in mine if s.errors is not None]
        every = [s.errors[name] for s in found for name in ANGLES]
        tracker = [s.landmark_errors[name] for s in found for name in ANGLES]
        refined = [s.refined_errors[name] for s in found for name in ANGLES]
        per_joint = _per_joint(found, "errors", rounded)
        by_view[view] = {
            "poses": len(mine),
            "detected": len(found),
            "detection_rate": round(len(found) / len(mine), 3) if mine else None,
            "median_error_deg": rounded(np.median(every)) if every else None,
            "mean_error_deg": rounded(np.mean(every)) if every else None,
            "p90_error_deg": rounded(np.percentile(every, 90)) if every else None,
            "max_error_deg": rounded(np.max(every)) if every else None,
            "per_joint_median_deg": per_joint,
            # the same angles measured on MediaPipe's world landmarks: the tracker's share of the error
            "landmark_median_error_deg": rounded(np.median(tracker)) if tracker else None,
            "facing_flips": sum(s.facing_flipped for s in found),
            # the world landmarks alone, without the image landmarks' x, y (see `refine_with_image_landmarks`)
            "world_landmarks_only": {"median_error_deg": rounded(np.median(refined)) if refined else None,
                              "mean_error_deg": rounded(np.mean(refined)) if refined else None,
                              "per_joint_median_deg": _per_joint(found, "refined_errors", rounded)},
            "per_pose": {s.pose.name: None if s.errors is None else {
                "median_error_deg": rounded(np.median(list(s.errors.values()))),
                "facing_error_deg": rounded(s.facing_error_deg),
                "errors_deg": {k: rounded(v) for k, v in s.errors.items()},
                "posed_deg": {k: rounded(v) for k, v in s.posed_angles.items()},
                "solved_deg": {k: rounded(v) for k, v in s.solved_angles.items()}} for s in mine},
        }
    primary = by_view.get("front") or next(iter(by_view.values()))
    return {
        "target_median_deg": TARGET_DEG,
        "median_error_deg": primary["median_error_deg"],
        "detection_rate": primary["detection_rate"],
        "passed": primary["median_error_deg"] is not None and primary["median_error_deg"] <= TARGET_DEG,
        "poses": [p.name for p in poses],
        "views": by_view,
    }


def _per_joint(samples: list[Sample], attribute: str, rounded) -> dict:
    """Median error per angle group (left and right together) over `samples`."""
    out = {}
    for group in ANGLE_GROUPS:
        values = [getattr(s, attribute)[name] for s in samples for name in ANGLES if name.startswith(group)]
        out[group] = rounded(np.median(values)) if values else None
    return out


def _prepared(path: str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


# ---------------------------------------------------------------------------------------------------------------
# The contact sheet

# MediaPipe Pose landmarks drawn: the performer's left side in orange, the right in cyan, the middle in white.
_BONES = [(11, 12), (23, 24), (11, 23), (12, 24), (11, 13), (13, 15), (15, 19), (12, 14), (14, 16), (16, 20),
          (23, 25), (25, 27), (27, 31), (24, 26), (26, 28), (28, 32), (0, 7), (0, 8)]
_LEFT, _RIGHT, _MIDDLE = (255, 150, 40), (40, 220, 255), (255, 255, 255)
CROP = (140, 10, 500, 450)  # the part of a render the figure can reach (left, top, right, bottom)
THUMB = (252, 308)  # that part, scaled down
TEXT_HEIGHT = 58


def _side_colour(index: int) -> tuple[int, int, int]:
    if index in (0, 7, 8) or index < 11:
        return _MIDDLE
    return _LEFT if index % 2 == 1 else _RIGHT


def contact_sheet(samples: list[Sample], views, poses):
    """A PIL image: one cell per pose and view (capture with landmarks | retargeted), errors underneath."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default()
    try:
        font = ImageFont.load_default(size=13)
    except TypeError:  # Pillow < 10.1: the bitmap font only
        pass
    by_key = {(s.pose.name, s.view): s for s in samples}
    cell_w, cell_h = max(2 * THUMB[0] + 8, 600), THUMB[1] + TEXT_HEIGHT
    columns = len(views)
    title_h = 48
    sheet = Image.new("RGB", (columns * (cell_w + 12) + 12, title_h + len(poses) * (cell_h + 10) + 10), (24, 24, 28))
    draw = ImageDraw.Draw(sheet)
    draw.text((12, 8), "Capture fidelity: known pose -> render -> MediaPipe Pose -> retarget onto the same mannequin "
                       "-> joint angles compared.", fill=(230, 230, 230), font=font)
    draw.text((12, 26), "Each cell: the capture with MediaPipe's landmarks (orange = left, cyan = right) | the retargeted "
                        f"mannequin, same camera. Errors in degrees, red above {TARGET_DEG:.0f}.",
              fill=(230, 230, 230), font=font)
    for row, pose in enumerate(poses):
        for column, view in enumerate(views):
            sample = by_key.get((pose.name, view))
            if sample is None:
                continue
            x0 = 12 + column * (cell_w + 12)
            y0 = title_h + row * (cell_h + 10)
            capture = Image.fromarray(sample.capture)
            if sample.landmarks is not None:
                _draw_landmarks(ImageDraw.Draw(capture), sample.landmarks, capture.size)
            sheet.paste(capture.crop(CROP).resize(THUMB, Image.LANCZOS), (x0, y0))
            if sample.retargeted is not None:
                retargeted = Image.fromarray(sample.retargeted).crop(CROP).resize(THUMB, Image.LANCZOS)
                sheet.paste(retargeted, (x0 + THUMB[0] + 8, y0))
            else:
                draw.rectangle([x0 + THUMB[0] + 8, y0, x0 + 2 * THUMB[0] + 8, y0 + THUMB[1]], fill=(60, 30, 30))
                draw.text((x0 + THUMB[0] + 24, y0 + THUMB[1] // 2), "no body detected", fill=(255, 120, 120),
                          font=font)
            _caption(draw, font, sample, x0, y0 + THUMB[1] + 4)
    return sheet


def _draw_landmarks(draw, landmarks: np.ndarray, size) -> None:
    w, h = size
    points = [(float(x) * w, float(y) * h) for x, y in landmarks[:, :2]]
    for a, b in _BONES:
        colour = _MIDDLE if _side_colour(a) != _side_colour(b) else _side_colour(a)
        draw.line([points[a], points[b]], fill=colour, width=3)
    for index in (0, 7, 8, *range(11, 17), 19, 20, *range(23, 29), 31, 32):
        x, y = points[index]
        draw.ellipse([x - 4, y - 4, x + 4, y + 4], fill=_side_colour(index), outline=(0, 0, 0))


def _caption(draw, font, sample: Sample, x: int, y: int) -> None:
    head = f"{sample.pose.name} ({sample.view}): {sample.pose.note}"
    if sample.facing_flipped:
        flag = "MediaPipe saw the back  "
        draw.text((x, y), flag, fill=(255, 110, 110), font=font)
        x_head = x + draw.textlength(flag, font=font)
    else:
        x_head = x
    draw.text((x_head, y), head[:100 - int(x_head - x) // 6], fill=(235, 235, 235), font=font)
    if sample.errors is None:
        draw.text((x, y + 18), "MediaPipe found no body", fill=(255, 120, 120), font=font)
        return
    median = float(np.median(list(sample.errors.values())))
    refined = float(np.median(list(sample.refined_errors.values())))
    pieces = [(f"median {median:.0f} (world only {refined:.0f})  ", median)]
    for group, label in (("elbow", "elb"), ("knee", "knee"), ("shoulder", "sh"), ("hip", "hip")):
        left, right = sample.errors[f"{group}_left"], sample.errors[f"{group}_right"]
        pieces.append((f"{label} L{left:.0f} R{right:.0f}  ", max(left, right)))
    pieces.append((f"lean {sample.errors['spine_lean']:.0f}", sample.errors["spine_lean"]))
    cx = x
    for text, value in pieces:
        draw.text((cx, y + 18), text, fill=(255, 110, 110) if value > TARGET_DEG else (170, 230, 170), font=font)
        cx += draw.textlength(text, font=font)
    posed = sample.posed_angles
    solved = sample.solved_angles
    detail = "posed/solved: " + "  ".join(
        f"{label} {posed[name]:.0f}/{solved[name]:.0f}" for name, label in (
            ("elbow_left", "eL"), ("elbow_right", "eR"), ("knee_left", "kL"), ("knee_right", "kR"),
            ("shoulder_left", "sL"), ("shoulder_right", "sR"), ("hip_left", "hL"), ("hip_right", "hR"),
            ("spine_lean", "lean")))
    draw.text((x, y + 36), detail, fill=(190, 190, 190), font=font)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out = argv[0] if argv else None
    figures = run_study(out)
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
