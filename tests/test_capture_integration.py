"""Capture in scenes and on the command line: takes, BVH and Live Link recordings driving characters,
renders driven by a take, retargeting to files, live sources that drop out, one-line errors."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from components.capture import CaptureBinding, LiveCapture
from components.model import AnimationPlayer, ModelInstance
from engine.capture.arkit import ARKIT_BLENDSHAPES
from engine.capture.take import STANDARD_CHANNELS, ChannelSpec, TakeWriter, read_take
from engine.cli.scene_session import HeadlessOutput, build_scene_app, new_scene_app
from engine.errors import InputError
from systems.animation.pose_pool import PosePool
from systems.rendering.view_settings import EntityNames
from tests.test_cli import assert_one_line_error, run_main
from tests.test_retarget import about, forward_kinematics, mediapipe_pose, qmul, rig_of

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "assets"
MANNEQUIN = ROOT / "assets" / "characters" / "mannequin_a.glb"
JAW = ARKIT_BLENDSHAPES.index("jawOpen")
FRAMES, FPS = 31, 30.0


def shared(relative: str) -> Path:
    path = SHARED / relative
    if not path.exists():
        pytest.skip(f"{path} is absent (the shared third-party assets are not beside the checkout)")
    return path


def raise_right_arm(degrees: np.ndarray):
    """World joint positions of the mannequin lifting its right arm sideways by `degrees` (F,)."""
    rig = rig_of(str(MANNEQUIN))
    local = np.broadcast_to(rig.rest_rotation, (len(degrees), rig.node_count, 4)).copy()
    arm = rig.bone_map["rightUpperArm"]
    # about the rig's forward axis, in the arm's parent frame: from hanging at 0 deg to level at 90 deg
    parent_rotation = rig.rest_world_rotation[rig.parents[arm]]
    axis = _rotate(_conjugate(parent_rotation), rig.rest_forward)
    for frame, angle in enumerate(degrees):
        local[frame, arm] = qmul(about(axis, angle - 90.0), rig.rest_rotation[arm])
    hips = np.broadcast_to(rig.rest_translation[rig.hips_node], (len(degrees), 3))
    return rig, forward_kinematics(rig, local, hips)[1]


def _conjugate(q):
    return np.asarray(q) * [-1, -1, -1, 1]


def _rotate(q, v):
    xyz, w = np.asarray(q[:3]), q[3]
    return v + 2.0 * np.cross(xyz, np.cross(xyz, v) + w * v)


@pytest.fixture(scope="module")
def take_path(tmp_path_factory) -> Path:
    """A take of the mannequin raising its right arm while opening its jaw, written like `main.py capture` does."""
    path = tmp_path_factory.mktemp("takes") / "raise.take"
    angles = np.linspace(0.0, 90.0, FRAMES)
    rig, world = raise_right_arm(angles)
    landmarks = mediapipe_pose(rig, world)
    channels = {"body.landmarks": ChannelSpec((33, 3), "solved"), "body.confidence": ChannelSpec((33,), "solved"),
                "face.weights": STANDARD_CHANNELS["face.weights"]}
    with TakeWriter(path, channels, source="test", fps=FPS) as writer:
        for frame in range(FRAMES):
            weights = np.zeros(52, np.float32)
            weights[JAW] = frame / (FRAMES - 1)
            writer.write_frame(frame / FPS, {"body.landmarks": landmarks[frame, :, :3],
                                             "body.confidence": landmarks[frame, :, 3], "face.weights": weights})
    return path


def scene_text(source: Path, extra: str = "") -> str:
    return f"""
[scene]
name = "capture test"
duration = 1.0
fps = 30

[[entity]]
name = "performer"
model = {{ path = "{MANNEQUIN}" }}
[entity.capture]
source = "{source}"
{extra}

[[entity]]
name = "cam"
transform = {{ translation = [0, 1.2, 3.0] }}
camera = {{ focal_length_mm = 35 }}
look_at = {{ point = [0, 1.1, 0] }}

[[entity]]
name = "sun"
transform = {{ rotation = [-45, 30, 0] }}
directional_light = {{}}
"""


def write(tmp_path: Path, text: str, name: str = "scene.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def node_rotation(app, entity: int, node: int) -> np.ndarray:
    offset = int(app.world.get(entity, ModelInstance.pose_offset))
    return app.world.resource(PosePool).rotation[offset + node].copy()


def jaw_weight(app, entity: int, rig_weight_index: int) -> float:
    base = int(app.world.get(entity, ModelInstance.weight_offset))
    return float(app.world.resource(PosePool).weights[base + rig_weight_index])


def test_a_scene_character_plays_a_take(tmp_path, take_path):
    app, info = build_scene_app(write(tmp_path, scene_text(take_path, "start = 0.0")), (320, 240))
    performer = info.entities["performer"]
    assert app.world.has(performer, CaptureBinding) and app.world.has(performer, AnimationPlayer)
    rig = rig_of(str(MANNEQUIN))
    arm = rig.bone_map["rightUpperArm"]
    from systems.capture.face_retarget import FaceRetarget
    from engine.assets import load_model

    jaw_slot = int(FaceRetarget(load_model(MANNEQUIN)).slots[list(FaceRetarget(load_model(MANNEQUIN)).shapes).index(JAW)])
    app.update_to(0.0)
    start_arm, start_jaw = node_rotation(app, performer, arm), jaw_weight(app, performer, jaw_slot)
    app.update_to(1.0)
    end_arm, end_jaw = node_rotation(app, performer, arm), jaw_weight(app, performer, jaw_slot)
    turned = math.degrees(2 * math.acos(min(1.0, abs(float(np.dot(start_arm, end_arm))))))
    assert 70.0 < turned < 110.0  # the arm went from hanging to level
    assert start_jaw < 0.05 and end_jaw > 0.95
    app.close()


def test_a_take_renders_the_same_frames_every_time(tmp_path, take_path):
    scene = write(tmp_path, scene_text(take_path))
    images = []
    for _ in range(2):
        app, _ = build_scene_app(scene, (160, 120))
        output = HeadlessOutput.attach(app, (160, 120))
        images.append([output.frame_at(app, t) for t in (0.9, 0.2, 0.5)])  # any order
        output.release()
        app.close()
    assert all(np.array_equal(a, b) for a, b in zip(*images))
    assert not np.array_equal(images[0][0], images[0][1])  # and the take moves the character


def test_render_with_take_on_the_command_line(tmp_path, take_path):
    scene = ROOT / "scenes" / "demo.toml"
    out = tmp_path / "frames"
    result = run_main("render", scene, "--take", take_path, "--character", "Ana", "--out", out, "--frames", "2",
                      "--size", "160x90", "--start", "0.5")
    assert result.returncode == 0, result.stderr
    assert len(list(out.glob("*.png"))) == 2
    missing = run_main("render", scene, "--take", tmp_path / "nope.take", "--out", out, "--frames", "1")
    assert_one_line_error(missing, "nope.take", "file not found")
    nobody = run_main("render", scene, "--take", take_path, "--character", "Zed", "--out", out, "--frames", "1")
    assert_one_line_error(nobody, "no character named 'Zed'")


def test_retarget_and_info_on_the_command_line(tmp_path, take_path):
    from engine.capture.bvh import read_bvh

    bvh, glb = tmp_path / "raise.bvh", tmp_path / "raise.glb"
    assert run_main("retarget", take_path, "--to", MANNEQUIN, "--out", bvh).returncode == 0
    assert run_main("retarget", take_path, "--to", MANNEQUIN, "--out", glb).returncode == 0
    motion = read_bvh(bvh)
    assert motion.frame_count == FRAMES and motion.names[0] == "Hips"
    info = run_main("info", glb)
    assert '"animations": [{"name": "raise"' in info.stdout
    take_info = run_main("info", take_path)
    assert '"kind": "take", "frames": 31' in take_info.stdout
    assert_one_line_error(run_main("retarget", take_path, "--to", MANNEQUIN, "--out", tmp_path / "x.fbx"),
                          "x.fbx", ".bvh, .glb, .gltf or Live Link .csv")
    csv = tmp_path / "raise.csv"
    assert run_main("retarget", take_path, "--to", MANNEQUIN, "--out", csv).returncode == 0
    from engine.capture.livelink import read_livelink_csv

    face = read_livelink_csv(csv)
    assert len(face.times) == FRAMES and abs(float(face.weights[-1, JAW]) - 1.0) < 1e-5


def test_bad_capture_sources_get_one_line_errors(tmp_path, take_path):
    cases = {
        "missing": (scene_text(tmp_path / "gone.take"), "entity 'performer': capture.source: file not found"),
        "corrupt": (scene_text(write(tmp_path, '{"format": "moviola-take", "version": 1}\n{oops\n{}\n', "bad.take")),
                    "bad.take"),
        "not capture": (scene_text(write(tmp_path, "hello", "notes.txt")), "not a capture file"),
        "both": (scene_text(take_path).replace('model = {', 'animation = { clip = "wave" }\nmodel = {'), ""),
    }
    for name, (text, fragment) in cases.items():
        with pytest.raises(InputError) as caught:
            build_scene_app(write(tmp_path, text, f"{name.replace(' ', '_')}.toml"), (64, 64))
        message = str(caught.value)
        assert "\n" not in message and fragment in message, (name, message)


def test_livelink_csv_drives_the_face_and_renders(tmp_path):
    from engine.capture.livelink import read_livelink_csv

    csv = shared("face/MySlate_3_iPhone.csv")
    track = read_livelink_csv(csv)
    loudest = int(np.argmax(track.weights[:, JAW]))
    quiet = int(np.argmin(track.weights[:, JAW]))
    scene = scene_text(csv).replace("[0, 1.2, 3.0]", "[0, 1.62, 0.55]").replace("[0, 1.1, 0]", "[0, 1.6, 0]")
    app, info = build_scene_app(write(tmp_path, scene), (320, 240))
    output = HeadlessOutput.attach(app, (320, 240))
    open_mouth = output.frame_at(app, float(track.times[loudest]))
    closed_mouth = output.frame_at(app, float(track.times[quiet]))
    Image.fromarray(np.concatenate([closed_mouth, open_mouth], axis=1)).save(tmp_path / "livelink_face.png")
    changed = np.abs(open_mouth.astype(int) - closed_mouth.astype(int)).sum(axis=2) > 30
    rows, columns = np.nonzero(changed)
    assert changed.sum() > 50  # the jaw moved on screen ...
    assert rows.mean() > 240 * 0.45  # ... in the lower half of the face
    output.release()
    app.close()


@pytest.mark.parametrize("character", ["mannequin", "cesium"])
def test_cmu_bvh_drives_characters_in_a_scene(tmp_path, character):
    bvh = shared("bvh/cmu_131_01_walk.bvh")
    model = MANNEQUIN if character == "mannequin" else shared("gltf/CesiumMan.glb")
    scene = scene_text(bvh).replace(str(MANNEQUIN), str(model)).replace("[0, 1.2, 3.0]", "[0, 1.5, 9.0]")
    app, info = build_scene_app(write(tmp_path, scene), (320, 240))
    output = HeadlessOutput.attach(app, (320, 240))
    frames = [output.frame_at(app, t) for t in (1.0, 2.0)]
    Image.fromarray(np.concatenate(frames, axis=1)).save(tmp_path / f"bvh_{character}.png")
    assert not np.array_equal(frames[0], frames[1])
    output.release()
    app.close()


def render_stage_frames(folder: Path, count: int) -> None:
    """Renders of the mannequin waving (a body MediaPipe finds), then empty frames (the performer left)."""
    from systems.capture.stage import CaptureStage

    folder.mkdir()
    rig = rig_of(str(MANNEQUIN))
    with CaptureStage("body", (320, 240)) as stage:
        for frame in range(count):
            angle = 40.0 + 10.0 * frame
            arm = rig.names[rig.bone_map["rightUpperArm"]]
            rotation = qmul(about([0, 0, 1], -angle), rig.rest_rotation[rig.bone_map["rightUpperArm"]])
            Image.fromarray(stage.render(rotations={arm: rotation})).save(folder / f"frame_{frame:02d}.png")
    empty = np.full((240, 320, 3), 128, np.uint8)
    for frame in range(count, count + 8):
        Image.fromarray(empty).save(folder / f"frame_{frame:02d}.png")


def test_a_live_source_that_drops_out_eases_to_rest_and_the_loop_goes_on(tmp_path):
    from systems.capture.live import LiveCaptureSessions
    from systems.capture.model_bundles import resolve_model

    try:
        resolve_model("pose")
    except InputError as error:
        pytest.skip(f"no MediaPipe model bundles: {error}")
    folder = tmp_path / "performer"
    render_stage_frames(folder, 4)
    app = new_scene_app((64, 64))
    from engine.assets.library import AssetLibrary
    from systems.animation.spawn_model import spawn_model
    from components.camera import Camera
    from components.transform import GlobalTransform, Transform

    library = app.world.resource(AssetLibrary)
    handle = library.load(MANNEQUIN)
    entity = spawn_model(app.world, handle, Transform())
    app.world.spawn(Transform(translation=np.array([0.0, 1.0, 3.0])), GlobalTransform(), Camera())
    sessions = app.world.resource(LiveCaptureSessions)
    session = sessions.open(str(folder), face=False, pose=True, hands=False)
    sessions.bind(session, entity, library[handle])
    app.world.insert(entity, LiveCapture(session=session))
    rig = sessions.sessions[session].rigs[entity]
    blends = []
    for frame in range(40):  # 4 tracked frames, 8 empty ones, then the source has ended
        app.update_to(frame / 30.0)
        blends.append(rig.blend)
    assert max(blends[:6]) > 0.2  # tracking took hold ...
    assert blends[-1] < 0.2 * max(blends)  # ... and let go once the performer left
    rest = library[handle].rest_rotation
    offset = int(app.world.get(entity, ModelInstance.pose_offset))
    pose = app.world.resource(PosePool).rotation[offset : offset + len(rest)]
    assert np.max(1.0 - np.abs(np.sum(pose * rest, axis=1))) < 0.05  # back near the rest pose
    app.close()
    assert not sessions.sessions  # closed with the app


def test_capture_command_records_a_take_from_images(tmp_path):
    from systems.capture.model_bundles import resolve_model

    try:
        resolve_model("pose")
    except InputError as error:
        pytest.skip(f"no MediaPipe model bundles: {error}")
    folder = tmp_path / "performer"
    render_stage_frames(folder, 3)
    out = tmp_path / "stage.take"
    result = run_main("capture", folder, "--out", out, "--pose")
    assert result.returncode == 0, result.stderr
    take = read_take(out)
    assert take.frame_count == 11 and take.present["pose.world"][:3].all() and not take.present["pose.world"][-1]
    again = run_main("capture", folder, "--out", out)
    assert_one_line_error(again, "stage.take", "already exists")
    assert_one_line_error(run_main("capture", tmp_path / "nothing", "--out", tmp_path / "n.take"), "nothing")


def test_the_capture_scene_plays_the_sample_take():
    """scenes/capture.toml: the project's own take (captured from renders of the mannequin waving) on Ben."""
    app, info = build_scene_app(ROOT / "scenes" / "capture.toml", (160, 90))
    ben = info.entities["Ben"]
    rig = rig_of(str(ROOT / "assets" / "characters" / "mannequin_b.glb"))
    arm = rig.bone_map["rightUpperArm"]
    rest = rig.rest_rotation[arm]  # the T-pose: arm level
    app.update_to(1.5)
    raised = node_rotation(app, ben, arm)
    turned = math.degrees(2 * math.acos(min(1.0, abs(float(np.dot(rest, raised))))))
    assert turned > 30.0  # the right arm is out of the T-pose, up and waving
    app.close()


def test_a_real_photo_is_tracked_and_retargeted_onto_the_mannequin(tmp_path):
    """scikit-image's astronaut (public domain): face, blendshapes and upper body found by the real models,
    then retargeted onto the project's mannequin (legs out of frame: calibrated from the torso)."""
    from skimage import data

    from engine.assets import load_model
    from systems.capture.bind import BindParts, performance_clip
    from systems.capture.model_bundles import resolve_model
    from systems.capture.performance import load_performance

    try:
        resolve_model("face")
        resolve_model("pose")
    except InputError as error:
        pytest.skip(f"no MediaPipe model bundles: {error}")
    folder = tmp_path / "astronaut"
    folder.mkdir()
    photo = data.astronaut()
    for frame in range(3):
        Image.fromarray(np.roll(photo, 4 * frame, axis=1)).save(folder / f"frame_{frame}.png")
    performance = load_performance(folder)
    assert performance.has_face and performance.has_body
    assert np.isfinite(performance.face_weights).all() and performance.face_weights.max() > 0.1
    mannequin = load_model(MANNEQUIN)
    clip = performance_clip(performance, mannequin, "astronaut", BindParts())
    rig = rig_of(str(MANNEQUIN))
    rotated = {channel.node for channel in clip.channels if channel.path == "rotation"}
    assert {rig.bone_map[bone] for bone in ("spine", "neck", "head", "leftUpperArm", "rightUpperArm")} <= rotated
    assert any(channel.path == "weights" for channel in clip.channels)  # her expression on the mannequin's face
