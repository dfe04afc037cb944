"""Face retargeting: ARKit names across spelling styles, the morph-weight layout, head rotation onto neck and head."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.assets.library import prepare_model
from engine.assets.mesh_loader import load_model
from engine.assets.model import Mesh, ModelAsset, Node, Primitive
from engine.capture.arkit import ARKIT_BLENDSHAPES, ARKIT_INDEX
from systems.capture.face_retarget import FaceRetarget, head_rotation_from_matrix, match_arkit_targets, quat_power

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "assets"
MANNEQUIN = ROOT / "assets" / "characters" / "mannequin_a.glb"


def about(axis, degrees):
    half = np.radians(degrees) / 2
    return np.array([*(np.asarray(axis, float) * np.sin(half)), np.cos(half)])


def qmul(a, b):
    ax, ay, az, aw = np.moveaxis(np.asarray(a, float), -1, 0)
    bx, by, bz, bw = np.moveaxis(np.asarray(b, float), -1, 0)
    return np.stack([aw * bx + ax * bw + ay * bz - az * by, aw * by - ax * bz + ay * bw + az * bx,
                     aw * bz + ax * by - ay * bx + az * bw, aw * bw - ax * bx - ay * by - az * bz], axis=-1)


def angle_deg(a, b):
    return np.degrees(2 * np.arccos(np.clip(np.abs(np.sum(np.asarray(a) * b, axis=-1)), 0, 1)))


def rotation_matrix(q):
    x, y, z, w = q
    return np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                     [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                     [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]])


@pytest.mark.parametrize("style", [
    lambda n: n,  # eyeBlinkLeft
    lambda n: n[0].upper() + n[1:],  # EyeBlinkLeft (Live Link)
    lambda n: n.replace("Left", "_L").replace("Right", "_R"),  # eyeBlink_L
    lambda n: "".join("_" + c.lower() if c.isupper() else c for c in n),  # eye_blink_left
    lambda n: "blendShape1." + n,  # Maya blendShape node prefix
    lambda n: n.upper().replace("LEFT", "_L").replace("RIGHT", "_R"),  # EYEBLINK_L
    lambda n: ("L_" + n[:-4]) if n.endswith("Left") else ("R_" + n[:-5]) if n.endswith("Right") else n,  # L_eyeBlink
], ids=["lowerCamel", "UpperCamel", "suffix_L", "snake_case", "prefixed", "UPPER_L", "L_prefix"])
def test_arkit_names_match_in_every_style(style):
    rng = np.random.default_rng(7)
    names = [style(name) for name in ARKIT_BLENDSHAPES]
    order = rng.permutation(len(names))
    shuffled = ["extraShape"] + [names[i] for i in order]
    matched = match_arkit_targets(shuffled)
    assert np.all(matched >= 1)
    assert [shuffled[i] for i in matched] == names  # every ARKit shape finds its own target


def test_synonyms_and_unmatched_targets():
    vrm = ["blink", "blink_left", "blink_right", "ah", "oh", "uu", "look_up", "joy"]
    matched = match_arkit_targets(vrm)
    by_shape = {ARKIT_BLENDSHAPES[i]: vrm[j] for i, j in enumerate(matched) if j >= 0}
    assert by_shape == {"eyeBlinkLeft": "blink_left", "eyeBlinkRight": "blink_right", "jawOpen": "ah",
                        "mouthFunnel": "oh", "mouthPucker": "uu", "eyeLookUpLeft": "look_up",
                        "eyeLookUpRight": "look_up"}
    unified = match_arkit_targets(["EyeClosedLeft", "EyeClosedRight", "MouthClosed", "JawOpen"])
    assert unified[ARKIT_INDEX["eyeBlinkLeft"]] == 0 and unified[ARKIT_INDEX["mouthClose"]] == 2
    vroid = match_arkit_targets(["Fcl_ALL_Neutral", "Fcl_EYE_Close_L", "Fcl_EYE_Close_R", "Fcl_EYE_Close"])
    assert vroid[ARKIT_INDEX["eyeBlinkLeft"]] == 1 and vroid[ARKIT_INDEX["eyeBlinkRight"]] == 2
    assert np.all(match_arkit_targets([]) == -1)
    # "mouthLeft" is a shape of its own, not mouth + a side
    assert match_arkit_targets(["mouth_L", "mouthSmile_L"])[ARKIT_INDEX["mouthLeft"]] == 0


def two_mesh_face() -> ModelAsset:
    """A head mesh and a teeth mesh, both with morph targets named in different styles."""
    def primitive(targets):
        return Primitive(positions=np.zeros((3, 3), np.float32), indices=np.arange(3, dtype=np.uint32),
                         morph_positions=np.zeros((targets, 3, 3), np.float32))

    head = Mesh("Head", [primitive(4)], default_weights=np.array([0, 0, 0, 0.25], np.float32),
                target_names=["EyeBlinkLeft", "eyeBlink_R", "JAW_OPEN", "custom"])
    teeth = Mesh("Teeth", [primitive(2)], target_names=["jaw_open", "tongueOut"])
    nodes = [Node("root", children=[1, 2]), Node("head", parent=0, mesh=0), Node("teeth", parent=0, mesh=1)]
    return ModelAsset("face.glb", nodes=nodes, roots=[0], meshes=[head, teeth])


def test_weights_follow_the_instance_layout():
    asset = two_mesh_face()
    face = FaceRetarget(asset)
    prepared = prepare_model(asset, "face")
    assert np.array_equal(face.weight_offsets, prepared.weight_offsets)
    assert np.allclose(face.rest_weights, prepared.rest_weights)
    arkit = np.zeros((2, 52))
    arkit[:, ARKIT_INDEX["eyeBlinkLeft"]] = [0.2, 1.4]  # clamped to 1
    arkit[:, ARKIT_INDEX["jawOpen"]] = [0.5, 0.0]
    arkit[:, ARKIT_INDEX["tongueOut"]] = [0.0, 0.7]
    weights = face.weights(arkit)
    assert weights.shape == (2, 6)
    assert np.allclose(weights, [[0.2, 0, 0.5, 0.25, 0.5, 0.0], [1.0, 0, 0.0, 0.25, 0.0, 0.7]])
    assert np.allclose(face.weights(arkit[0]), weights[0])  # one frame without the frame axis
    assert face.head_node is None  # no skeleton, no head rotation
    clip = face.clip("talk", [10.0, 10.5], arkit)
    assert [(c.node, c.path, c.values.shape) for c in clip.channels] == [(1, "weights", (2, 4)), (2, "weights", (2, 2))]
    assert clip.channels[0].times.tolist() == [0.0, 0.5]


def test_mannequin_face_targets():
    asset = load_model(MANNEQUIN)
    face = FaceRetarget(asset)
    assert face.matched_shapes == sorted(name for mesh in asset.meshes for name in mesh.target_names)
    arkit = np.zeros(52)
    arkit[ARKIT_INDEX["mouthSmileRight"]] = 0.6
    weights = face.weights(arkit)
    head_mesh = asset.meshes[asset.nodes[face.mesh_nodes[0]].mesh]
    assert weights[face.weight_offsets[face.mesh_nodes[0]] + head_mesh.target_names.index("mouthSmileRight")] == 0.6
    assert weights.sum() == pytest.approx(0.6)


def test_head_rotation_from_a_facial_transformation_matrix():
    turn = qmul(about([0, 1, 0], 30), about([1, 0, 0], 15))  # turned to the performer's left, chin down
    matrix = np.eye(4)
    matrix[:3, :3] = rotation_matrix(turn) * 1.02  # a little scale must not matter
    matrix[:3, 3] = [3.0, -2.0, -40.0]  # centimetres in front of the camera
    assert angle_deg(head_rotation_from_matrix(matrix), turn) < 1e-6
    batch = head_rotation_from_matrix(np.stack([matrix, np.eye(4)]))
    assert angle_deg(batch[1], [0, 0, 0, 1]) < 1e-6
    # A selfie-mirrored image swaps left and right: the yaw and roll change sign, the pitch does not.
    mirrored = head_rotation_from_matrix(matrix, mirrored=True)
    assert angle_deg(mirrored, qmul(about([0, 1, 0], -30), about([1, 0, 0], 15))) < 1e-6
    # The face looks along the rotated +Z: to the character's left (+X) and down
    x, y, z, w = head_rotation_from_matrix(matrix)
    forward = rotation_matrix((x, y, z, w)) @ [0, 0, 1]
    assert forward[0] > 0.4 and forward[1] < -0.2


def test_head_rotation_is_shared_between_neck_and_head():
    asset = load_model(MANNEQUIN)
    face = FaceRetarget(asset, neck_share=0.4)
    turn = qmul(about([0, 1, 0], 40), about([0, 0, 1], -20))
    neck, head = face.head_neck_locals(turn)
    # The mannequin's rest rotations are identity: the neck turns 40% of the way, neck and head together all of it
    assert angle_deg(neck, quat_power(turn, 0.4)) < 1e-6
    assert angle_deg(qmul(neck, head), turn) < 1e-6
    assert angle_deg(neck, [0, 0, 0, 1]) == pytest.approx(0.4 * angle_deg(turn, [0, 0, 0, 1]), abs=1e-6)
    frames = np.stack([turn, [0, 0, 0, 1]])
    neck_f, head_f = face.head_neck_locals(frames)
    assert neck_f.shape == (2, 4) and angle_deg(head_f[1], [0, 0, 0, 1]) < 1e-9
    clip = face.clip("look", [0.0, 0.1], np.zeros((2, 52)), head_rotation=frames)
    rotated = {c.node for c in clip.channels if c.path == "rotation"}
    assert rotated == {face.neck_node, face.head_node}


def test_head_rotation_on_a_rig_with_rotated_rest_frames():
    path = SHARED / "gltf" / "CesiumMan.glb"
    if not path.exists():
        pytest.skip(f"{path} is not beside the checkout")
    from engine.capture.humanoid import rest_world_matrices

    asset = load_model(path)
    face = FaceRetarget(asset)
    turn = about([0, 1, 0], 35)
    neck_local, head_local = face.head_neck_locals(turn)
    # Forward kinematics with the new locals: the head's world orientation turned by exactly `turn`
    world = rest_world_matrices(asset)
    neck_node, head_node = face.neck_node, face.head_node
    parent = asset.nodes[neck_node].parent

    def rows_to_quat(rows):
        from systems.capture.retarget import _quat_from_matrix

        rows = rows / np.linalg.norm(rows, axis=1, keepdims=True)
        return _quat_from_matrix(rows.T)

    parent_rot = rows_to_quat(world[parent, :3, :3])
    head_world = qmul(qmul(parent_rot, neck_local), head_local)
    rest_head = rows_to_quat(world[head_node, :3, :3])
    assert angle_deg(head_world, qmul(turn, rest_head)) < 1e-6


def test_live_link_recording_drives_the_mannequin():
    path = SHARED / "face" / "MySlate_3_iPhone.csv"
    if not path.exists():
        pytest.skip(f"{path} is not beside the checkout")
    livelink = pytest.importorskip("engine.capture.livelink")
    if not hasattr(livelink, "read_livelink_csv"):
        pytest.skip("engine.capture.livelink has no read_livelink_csv")
    recording = livelink.read_livelink_csv(path)
    weights = getattr(recording, "weights", None)
    if weights is None:
        pytest.skip("the Live Link reader exposes no (F, 52) weights")
    face = FaceRetarget(load_model(MANNEQUIN))
    out = face.weights(weights)
    assert out.shape == (len(weights), face.weight_count) and np.all((out >= 0) & (out <= 1))
    assert out.max() > 0.2  # the recording does move the face
