"""BVH reading and writing: the real CMU walk, round trips, channel orders, units and malformed files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.capture.bvh import UNITS, BvhMotion, quat_multiply, read_bvh, write_bvh
from engine.errors import InputError

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "assets"
CMU_WALK = SHARED / "bvh" / "cmu_131_01_walk.bvh"
needs_cmu = pytest.mark.skipif(not CMU_WALK.exists(), reason=f"{CMU_WALK} is not beside the checkout")


def axis_quat(axis: int, degrees) -> np.ndarray:
    degrees = np.asarray(degrees, np.float64)
    q = np.zeros(degrees.shape + (4,))
    q[..., axis] = np.sin(np.radians(degrees) / 2)
    q[..., 3] = np.cos(np.radians(degrees) / 2)
    return q


def same_rotation(a, b) -> float:
    """Largest deviation between two quaternion arrays, sign-insensitive (1 - |dot|)."""
    return float(np.max(1.0 - np.abs(np.sum(a * b, axis=-1))))


def synthetic_motion(frames: int = 12, seed: int = 3) -> BvhMotion:
    """A small skeleton with an End Site, random rotations and an animated translation on a non-root joint."""
    rng = np.random.default_rng(seed)
    names = ["Hips", "Spine", "Head", "Head_End", "LeftUpLeg", "LeftLeg", "LeftLeg_End"]
    parents = np.array([-1, 0, 1, 2, 0, 4, 5], np.int32)
    offsets = np.array([[0, 90, 0], [0, 10, 0], [0, 50, 2], [0, 15, 0], [9, -5, 0], [0, -42, 0], [0, -40, 0]], float)
    end_site = np.array([False, False, False, True, False, False, True])
    rotations = rng.normal(size=(frames, 7, 4))
    rotations /= np.linalg.norm(rotations, axis=-1, keepdims=True)
    rotations[:, end_site] = [0, 0, 0, 1]
    translations = np.broadcast_to(offsets, (frames, 7, 3)).copy()
    translations[:, 0] += rng.normal(size=(frames, 3)) * 20
    translations[:, 2] += rng.normal(size=(frames, 3))  # a stretchy neck: positions on a non-root joint
    channels = [("Xposition", "Yposition", "Zposition", "Zrotation", "Yrotation", "Xrotation"),
                ("Zrotation", "Yrotation", "Xrotation"),
                ("Xposition", "Yposition", "Zposition", "Zrotation", "Yrotation", "Xrotation"), (),
                ("Zrotation", "Yrotation", "Xrotation"), ("Zrotation", "Yrotation", "Xrotation"), ()]
    return BvhMotion(names, parents, offsets, channels, 1 / 30, rotations, translations, end_site,
                     metres_per_unit=0.01, units="cm")


def test_write_then_read_round_trips(tmp_path):
    motion = synthetic_motion()
    write_bvh(tmp_path / "out.bvh", motion)
    back = read_bvh(tmp_path / "out.bvh")
    assert back.names == motion.names and np.array_equal(back.parents, motion.parents)
    assert np.array_equal(back.end_site, motion.end_site)
    assert back.frame_count == motion.frame_count and back.frame_time == pytest.approx(motion.frame_time, rel=1e-7)
    assert same_rotation(back.local_rotations, motion.local_rotations) < 1e-8
    assert np.max(np.abs(back.translations - motion.translations)) < 1e-4
    assert np.max(np.abs(back.world_positions() - motion.world_positions())) < 1e-4
    assert back.channels[1] == ("Zrotation", "Yrotation", "Xrotation")
    assert back.channels[2][:3] == ("Xposition", "Yposition", "Zposition")  # animated translation kept


@needs_cmu
def test_reads_the_cmu_walk():
    motion = read_bvh(CMU_WALK)
    assert motion.frame_count == 994 and motion.frame_time == pytest.approx(1 / 120, rel=1e-3)
    assert motion.joint_count - int(motion.end_site.sum()) == 31  # 31 joints plus their End Sites
    assert motion.names[:3] == ["Hips", "LHipJoint", "LeftHip"]
    assert motion.units == "cmu" and motion.metres_per_unit == pytest.approx(UNITS["cmu"])
    metric = motion.scale_to_metres()
    world = metric.world_positions()
    assert world.shape == (994, motion.joint_count, 3)
    hips, head = world[:, motion.index("Hips")], world[:, motion.index("Head")]
    assert 0.85 < np.median(hips[:, 1]) < 1.05  # a standing adult's pelvis, in metres
    assert np.all(head[:, 1] > hips[:, 1])
    # The vectorised world transforms agree with a plain per-joint walk for one frame.
    frame = 500
    rotations, positions = metric.world_transforms()
    for joint, parent in enumerate(metric.parents):
        if parent >= 0:
            step = metric.translations[frame, joint]
            q = rotations[frame, parent]
            expected = positions[frame, parent] + _rotate(q, step)
            assert np.allclose(positions[frame, joint], expected)
            expected_rotation = quat_multiply(q, metric.local_rotations[frame, joint])
            assert same_rotation(rotations[frame, joint], expected_rotation) < 1e-12


@needs_cmu
def test_the_cmu_walk_round_trips(tmp_path):
    motion = read_bvh(CMU_WALK)
    write_bvh(tmp_path / "walk.bvh", motion)
    back = read_bvh(tmp_path / "walk.bvh")
    assert same_rotation(back.local_rotations, motion.local_rotations) < 1e-8
    assert np.max(np.abs(back.world_positions() - motion.world_positions())) < 1e-4


def _rotate(q, v):
    xyz, w = q[:3], q[3]
    t = 2 * np.cross(xyz, v)
    return v + w * t + np.cross(xyz, t)


ASF_XYZ = """HIERARCHY
ROOT root
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Xrotation Yrotation Zrotation
  JOINT lfemur
  {
    OFFSET 10 -5 0
    CHANNELS 4 Yposition Xrotation Yrotation Zrotation
    End Site
    {
      OFFSET 0 -80 0
    }
  }
}
MOTION
Frames: 2
Frame Time: 0.0333333
1 95 2 10 20 30 -3 40 -50 60
0 90 0 0 0 0 -5 0 0 90
"""


def test_channel_order_and_positions_on_any_joint(tmp_path):
    path = tmp_path / "asf.bvh"
    path.write_text(ASF_XYZ)
    motion = read_bvh(path)
    root_expected = quat_multiply(quat_multiply(axis_quat(0, 10), axis_quat(1, 20)), axis_quat(2, 30))
    assert same_rotation(motion.local_rotations[0, 0], root_expected) < 1e-12
    femur_expected = quat_multiply(quat_multiply(axis_quat(0, 40), axis_quat(1, -50)), axis_quat(2, 60))
    assert same_rotation(motion.local_rotations[0, 1], femur_expected) < 1e-12
    assert np.allclose(motion.root_positions, [[1, 95, 2], [0, 90, 0]])
    # Yposition replaces only the y of the OFFSET
    assert np.allclose(motion.translations[:, 1], [[10, -3, 0], [10, -5, 0]])
    # frame 1: the femur turned 90 degrees about z swings its end site from -y to +x
    assert np.allclose(motion.world_positions()[1, 2], [10 + 80, 90 - 5, 0], atol=1e-9)


@pytest.mark.parametrize("units, metres", [("m", 1.0), ("cm", 0.01), ("mm", 0.001), ("inch", 0.0254),
                                           ("cmu", UNITS["cmu"])])
def test_units_are_detected_from_the_skeleton_height(tmp_path, units, metres):
    motion = synthetic_motion(frames=2)
    height_m = 1.7  # joint extent of a 1.7 m skeleton
    rest_height = motion.rest_height()
    scale = height_m / rest_height / metres  # file units per (current unit)
    motion.offsets = motion.offsets * scale
    motion.translations = motion.translations * scale
    write_bvh(tmp_path / "u.bvh", motion)
    back = read_bvh(tmp_path / "u.bvh")
    assert back.units == units and back.metres_per_unit == pytest.approx(metres)
    assert back.scale_to_metres().rest_height() == pytest.approx(height_m, rel=1e-4)
    assert read_bvh(tmp_path / "u.bvh", units="m").metres_per_unit == 1.0  # declared units win
    assert back.scale_to_metres(height_m=1.8).rest_height() == pytest.approx(1.8)


ONE_JOINT = "HIERARCHY\nROOT Hips\n{\n OFFSET 0 0 0\n CHANNELS 3 Xrotation Yrotation Zrotation\n}\n"
MALFORMED = {
    "no hierarchy": ("MOTION\nFrames: 1\n", 1),
    "bad offset": ("HIERARCHY\nROOT Hips\n{\n  OFFSET 0 zero 0\n}\nMOTION\n", 4),
    "unknown channel": ("HIERARCHY\nROOT Hips\n{\n OFFSET 0 0 0\n CHANNELS 1 Wrotation\n}\nMOTION\n", 5),
    "count mismatch": ("HIERARCHY\nROOT Hips\n{\n OFFSET 0 0 0\n CHANNELS 3 Xrotation Yrotation\n}\nMOTION\n", 5),
    "unclosed": ("HIERARCHY\nROOT Hips\n{\n OFFSET 0 0 0\nMOTION\nFrames: 0\nFrame Time: 0.1\n", 5),
    "short frame": (ONE_JOINT + "MOTION\nFrames: 2\nFrame Time: 0.1\n1 2 3\n4 5\n", 11),
    "truncated": (ONE_JOINT + "MOTION\nFrames: 3\nFrame Time: 0.1\n1 2 3\n", 11),
    "not a number": (ONE_JOINT + "MOTION\nFrames: 1\nFrame Time: 0.1\n1 x 3\n", 10),
    "bad frame time": ("HIERARCHY\nROOT Hips\n{\n OFFSET 0 0 0\n}\nMOTION\nFrames: 1\nFrame Time: -1\n", 8),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_files_name_the_file_and_line(tmp_path, case):
    text, line = MALFORMED[case]
    path = tmp_path / "broken.bvh"
    path.write_text(text)
    with pytest.raises(InputError) as raised:
        read_bvh(path)
    message = str(raised.value)
    assert message.startswith(str(path)) and f"line {line}:" in message and "\n" not in message


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_bvh(tmp_path / "absent.bvh")
