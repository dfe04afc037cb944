"""Live Link Face CSV: the real sample, round trips, forgiving headers, conventions and one-line errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.capture.arkit import ARKIT_BLENDSHAPES
from engine.capture.describe import describe_file
from engine.capture.livelink import (
    LIVELINK_HEADER,
    FaceTrack,
    livelink_angles_to_quaternion,
    quaternion_to_livelink_angles,
    quaternion_to_yaw_pitch_roll,
    read_livelink_csv,
    write_livelink_csv,
    yaw_pitch_roll_to_quaternion,
)
from engine.errors import InputError

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLE = "face/MySlate_3_iPhone.csv"


def shared_asset(relative: str) -> Path:
    path = REPO_ROOT.parent / "shared" / "assets" / relative
    if not path.exists():
        pytest.skip(f"{path} is absent (the third-party samples in ../shared/assets are not beside the checkout)")
    return path


def rotate(quaternion: np.ndarray, vector) -> np.ndarray:
    """Rotate `vector` by xyzw quaternions (..., 4)."""
    q = np.asarray(quaternion, dtype=np.float64)
    u, w = q[..., :3], q[..., 3:]
    v = np.broadcast_to(np.asarray(vector, dtype=np.float64), u.shape)
    return v + 2.0 * np.cross(u, np.cross(u, v) + w * v)


def same_rotation(a: np.ndarray, b: np.ndarray, tolerance: float) -> bool:
    """Quaternions equal up to sign."""
    return bool(np.all(1.0 - np.abs(np.sum(np.asarray(a, np.float64) * b, axis=-1)) < tolerance))


def csv_file(tmp_path: Path, text: str, name: str = "take.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def livelink_text(rows: list[list[str]], header=LIVELINK_HEADER) -> str:
    return "\n".join([",".join(header), *(",".join(row) for row in rows)]) + "\n"


def zero_row(timecode: str) -> list[str]:
    return [timecode, "61", *["0.0"] * (len(LIVELINK_HEADER) - 2)]


# ---------------------------------------------------------------------------------------------------- names

def test_arkit_names_are_the_52_canonical_lower_camel_names():
    assert len(ARKIT_BLENDSHAPES) == 52 == len(set(ARKIT_BLENDSHAPES))
    assert ARKIT_BLENDSHAPES[:2] == ("eyeBlinkLeft", "eyeLookDownLeft")
    assert ARKIT_BLENDSHAPES[14:18] == ("jawForward", "jawLeft", "jawRight", "jawOpen")
    assert ARKIT_BLENDSHAPES[-1] == "tongueOut"
    assert all(name[0].islower() and name.isalpha() for name in ARKIT_BLENDSHAPES)
    app_names = {name[0].lower() + name[1:] for name in LIVELINK_HEADER[2:54]}
    assert app_names == set(ARKIT_BLENDSHAPES)


# ---------------------------------------------------------------------------------------------------- the sample

def test_real_recording_reads_with_its_timecode_and_rates():
    track = read_livelink_csv(shared_asset(SAMPLE))
    assert track.frame_count == 328
    assert track.names == ARKIT_BLENDSHAPES
    assert track.weights.shape == (328, 52) and track.weights.dtype == np.float32
    assert 0.0 <= track.weights.min() and track.weights.max() <= 1.0
    assert track.times[0] == 0.0 and np.all(np.diff(track.times) > 0)
    assert track.timecode_fps == 60
    assert track.timecode_start_s == pytest.approx(32 * 60 + 9 + 7.867 / 60)
    assert track.fps == pytest.approx(59.94, abs=0.05)
    assert track.duration_s == pytest.approx((5 * 60 + 35.066 - 7.867) / 60, abs=1e-9)
    # First row, spot checks against the file's text.
    assert track.weights[0, ARKIT_BLENDSHAPES.index("eyeBlinkLeft")] == np.float32(0.0491091609)
    assert track.weights[0, ARKIT_BLENDSHAPES.index("eyeLookDownLeft")] == np.float32(0.2114743441)
    # Head tracking was off in this recording: identity head rotations.
    assert np.allclose(track.head_rotation, [0, 0, 0, 1])
    assert track.eye_rotations.shape == (328, 2, 4)


def test_real_recording_eye_columns_agree_with_the_rotation_convention():
    """Gaze from the eye rotations points where the EyeLook* blendshapes say the eyes look."""
    track = read_livelink_csv(shared_asset(SAMPLE))
    gaze = rotate(track.eye_rotations, [0.0, 0.0, 1.0])  # (F, 2, 3): the eyes look along +Z at rest
    weight = {name: track.weights[:, i] for i, name in enumerate(ARKIT_BLENDSHAPES)}
    for eye, side in ((0, "Left"), (1, "Right")):
        down = weight[f"eyeLookDown{side}"] - weight[f"eyeLookUp{side}"]
        towards_nose = weight[f"eyeLookIn{side}"] - weight[f"eyeLookOut{side}"]
        nose_direction = -1.0 if side == "Left" else 1.0  # the nose is on the character's right (-X) of the left eye
        assert np.corrcoef(-gaze[:, eye, 1], down)[0, 1] > 0.95
        assert np.corrcoef(nose_direction * gaze[:, eye, 0], towards_nose)[0, 1] > 0.95


def test_real_recording_round_trips_in_the_apps_layout(tmp_path):
    source = shared_asset(SAMPLE)
    track = read_livelink_csv(source)
    copy = tmp_path / "copy.csv"
    write_livelink_csv(copy, track)

    original_lines = source.read_text().splitlines()
    written_lines = copy.read_text().splitlines()
    assert written_lines[0] == original_lines[0]  # the app's header, column for column
    assert [line.split(",")[:2] for line in written_lines] == [line.split(",")[:2] for line in original_lines]
    original = np.array([line.split(",")[2:] for line in original_lines[1:]], dtype=np.float64)
    written = np.array([line.split(",")[2:] for line in written_lines[1:]], dtype=np.float64)
    assert np.abs(written - original).max() < 1e-6

    again = read_livelink_csv(copy)
    assert np.array_equal(again.times, track.times)
    assert np.abs(again.weights - track.weights).max() < 1e-6
    assert same_rotation(again.eye_rotations, track.eye_rotations, 1e-6)


def test_describe_a_livelink_csv():
    info = describe_file(shared_asset(SAMPLE))
    assert info["kind"] == "livelink"
    assert info["frames"] == 328 and info["blendshapes"] == 52 and info["head"] is False
    assert info["fps"] == pytest.approx(59.94, abs=0.05)
    assert info["duration_s"] == pytest.approx(5.4533, abs=1e-3)


# ---------------------------------------------------------------------------------------------------- round trips

def random_track(frames: int, *, start_s: float, eyes: bool, seed: int = 1) -> FaceTrack:
    rng = np.random.default_rng(seed)
    angles = rng.uniform(-1.2, 1.2, size=(frames, 3)) * [1.0, 0.9, 1.0]  # pitch stays clear of ±90°
    eye_angles = rng.uniform(-0.4, 0.4, size=(frames, 2, 3))
    return FaceTrack(
        times=np.arange(frames) / 60.0,
        weights=rng.random((frames, 52), dtype=np.float32),
        head_rotation=yaw_pitch_roll_to_quaternion(angles).astype(np.float32),
        eye_rotations=yaw_pitch_roll_to_quaternion(eye_angles).astype(np.float32) if eyes else None,
        timecode_start_s=start_s,
    )


@pytest.mark.parametrize("eyes", [True, False])
def test_written_csv_reads_back_to_within_a_millionth(tmp_path, eyes):
    track = random_track(150, start_s=86399.0, eyes=eyes)  # crosses midnight
    path = tmp_path / "out.csv"
    write_livelink_csv(path, track)
    again = read_livelink_csv(path)
    assert again.frame_count == 150 and again.timecode_fps == 60
    assert np.abs(again.times - track.times).max() < 1e-5  # timecodes hold 1/1000 of a 60 fps frame
    assert np.abs(again.weights - track.weights).max() < 1e-6
    assert same_rotation(again.head_rotation, track.head_rotation, 1e-6)
    if eyes:
        assert same_rotation(again.eye_rotations, track.eye_rotations, 1e-6)
    else:  # the app's layout always has eye columns: zeros
        assert np.allclose(again.eye_rotations, [0, 0, 0, 1])
    assert path.read_text().splitlines()[1].startswith("23:59:59:00.000,61,")


def test_rotation_conventions():
    def forward(yaw_pitch_roll):
        return rotate(yaw_pitch_roll_to_quaternion(np.radians(yaw_pitch_roll)), [0, 0, 1])

    def up(yaw_pitch_roll):
        return rotate(yaw_pitch_roll_to_quaternion(np.radians(yaw_pitch_roll)), [0, 1, 0])

    assert np.allclose(forward([90, 0, 0]), [1, 0, 0])   # yaw: towards the character's left (+X)
    assert np.allclose(forward([0, 90, 0]), [0, -1, 0])  # pitch: chin down
    assert np.allclose(up([0, 0, 90]), [-1, 0, 0])       # roll: top of the head to the character's right
    assert np.allclose(forward([90, 45, 0]), [np.sqrt(0.5), -np.sqrt(0.5), 0])  # yaw is applied last (outermost)
    angles = np.random.default_rng(2).uniform(-1.5, 1.5, size=(1000, 3))
    assert np.allclose(quaternion_to_yaw_pitch_roll(yaw_pitch_roll_to_quaternion(angles)), angles, atol=1e-9)
    assert np.allclose(quaternion_to_livelink_angles(livelink_angles_to_quaternion(angles)), angles, atol=1e-9)


def test_livelink_angles_are_mirrored_in_x():
    def turn(yaw_pitch_roll, vector):
        return rotate(livelink_angles_to_quaternion(np.radians(yaw_pitch_roll)), vector)

    assert np.allclose(turn([90, 0, 0], [0, 0, 1]), [-1, 0, 0])  # yaw: towards the character's right
    assert np.allclose(turn([0, 90, 0], [0, 0, 1]), [0, -1, 0])  # pitch: chin down
    assert np.allclose(turn([0, 0, 90], [0, 1, 0]), [1, 0, 0])   # roll: top of the head to the left shoulder


# ---------------------------------------------------------------------------------------------------- headers

def test_headers_match_by_name_in_any_case_order_or_spelling(tmp_path):
    header = ["timecode", "JAW_OPEN", "eyeBlink_L", "mouth-smile-right", " HeadYaw ", "Mystery", "BrowInnerUp"]
    rows = [["00:00:01:00.000", "0.5", "0.25", "1.5", "0.3", "whatever", "-0.2"],
            ["00:00:01:01.000", "0.75", "0.0", "0.125", "0.0", "7", "0.5"]]
    text = "\ufeff" + "\r\n".join([",".join(header), *(",".join(row) for row in rows)]) + "\r\n\r\n"
    track = read_livelink_csv(csv_file(tmp_path, text))
    column = {name: track.weights[:, i] for i, name in enumerate(ARKIT_BLENDSHAPES)}
    assert column["jawOpen"].tolist() == [0.5, 0.75]
    assert column["eyeBlinkLeft"].tolist() == [0.25, 0.0]
    assert column["mouthSmileRight"].tolist() == [1.0, 0.125]  # clipped to [0, 1]
    assert column["browInnerUp"].tolist() == [0.0, 0.5]
    assert not column["tongueOut"].any()  # missing columns are zeros
    assert np.allclose(quaternion_to_livelink_angles(track.head_rotation)[:, 0], [0.3, 0.0], atol=1e-6)
    assert track.eye_rotations is None
    assert track.times == pytest.approx([0.0, 1 / 60], abs=1e-12)


def test_timecode_rate_comes_from_the_frame_numbers_or_the_caller(tmp_path):
    # A 30 fps timecode (frames 0..29) sampled twice per frame, crossing a second boundary.
    frames = [f"00:00:00:{f // 2:02d}.{500 * (f % 2):03d}" for f in range(40, 60)]
    frames += [f"00:00:01:{f // 2:02d}.{500 * (f % 2):03d}" for f in range(4)]
    path = csv_file(tmp_path, livelink_text([zero_row(tc) for tc in frames]))
    track = read_livelink_csv(path)
    assert track.timecode_fps == 30
    assert np.allclose(np.diff(track.times), 1 / 60)
    # Under a second and no wrap: the app's 60 fps is assumed, unless the caller knows better.
    short = csv_file(tmp_path, livelink_text([zero_row("00:00:05:03.000"), zero_row("00:00:05:04.000")]), "s.csv")
    assert read_livelink_csv(short).times[1] == pytest.approx(1 / 60)
    assert read_livelink_csv(short, timecode_fps=24).times[1] == pytest.approx(1 / 24)


# ---------------------------------------------------------------------------------------------------- errors

GOOD = zero_row("00:00:01:00.000")


@pytest.mark.parametrize("text, message", [
    ("", "empty file"),
    (livelink_text([]), "no frames after the header"),
    (livelink_text([GOOD, GOOD[:12]]), "line 3: expected 63 values, got 12"),
    (livelink_text([GOOD, [GOOD[0], "61", "abc", *GOOD[3:]]]), "line 3: EyeBlinkLeft: 'abc' is not a number"),
    (livelink_text([[GOOD[0], "61", "nan", *GOOD[3:]]]), "line 2: EyeBlinkLeft: 'nan' is not a finite number"),
    (livelink_text([["1:2:3", *GOOD[1:]]]), "line 2: timecode '1:2:3' is not HH:MM:SS:FF.fff"),
    (livelink_text([["00:61:00:00.000", *GOOD[1:]]]), "line 2: timecode '00:61:00:00.000' is out of range"),
    (livelink_text([zero_row("00:00:02:00.000"), GOOD]), "line 3: timecode '00:00:01:00.000' is earlier"),
    ("Time,EyeBlinkLeft\n1,0.5\n", "line 1: no Timecode column"),
    ("Timecode,Foo\n00:00:01:00.000,0.5\n", "line 1: no ARKit blendshape or head rotation columns"),
    ("Timecode,JawOpen,jaw_open\n00:00:01:00.000,0.5,0.5\n", "line 1: column 'jawOpen' appears twice"),
])
def test_malformed_files_raise_one_line_input_errors(tmp_path, text, message):
    path = csv_file(tmp_path, text, "MySlate.csv")
    with pytest.raises(InputError) as caught:
        read_livelink_csv(path)
    rendered = str(caught.value)
    assert rendered.startswith(str(path) + ": ") and message in rendered, rendered
    assert "\n" not in rendered


def test_missing_binary_and_directory_inputs(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_livelink_csv(tmp_path / "nope.csv")
    (tmp_path / "binary.csv").write_bytes(b"Timecode,JawOpen\n\xff\xfe\x00garbage\n")
    with pytest.raises(InputError, match="not a text file"):
        read_livelink_csv(tmp_path / "binary.csv")
    with pytest.raises(InputError, match="is a directory"):
        read_livelink_csv(tmp_path)
