"""Procedural mannequins: skeleton, skin weights, size, face morphs and clips (CPU-skinned checks)."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

from engine.assets.gltf_loader import load_gltf
from engine.assets.gltf_writer import write_gltf
from engine.assets.mannequin import VARIANTS, build_mannequin, walk_speed
from engine.assets.skinning import skin_positions

CHARACTERS = Path(__file__).resolve().parents[1] / "assets" / "characters"
HEIGHTS = {"a": 1.75, "b": 1.65}
MIXAMO_BONES = [
    "Hips", "Spine", "Spine1", "Spine2", "Neck", "Head", "HeadTop_End",
    *(f"{side}{bone}" for side in ("Left", "Right") for bone in (
        "Shoulder", "Arm", "ForeArm", "Hand", "HandThumb1", "HandIndex1", "HandMiddle1",
        "UpLeg", "Leg", "Foot", "ToeBase")),
]
VRM_BONES = ["hips", "spine", "chest", "upperChest", "neck", "head"] + [
    f"{side}{bone}" for side in ("left", "right")
    for bone in ("Shoulder", "UpperArm", "LowerArm", "Hand", "UpperLeg", "LowerLeg", "Foot", "Toes")]
ARKIT = ["jawOpen", "eyeBlinkLeft", "eyeBlinkRight", "mouthSmileLeft", "mouthSmileRight", "browInnerUp", "mouthFunnel"]


@pytest.fixture(scope="module", params=["a", "b"])
def mannequin(request):
    return request.param, build_mannequin(request.param)


def _quat_matrix(q: np.ndarray) -> np.ndarray:
    x, y, z, w = q
    return np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                     [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                     [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]])


def _world_matrices(asset, clip=None, time: float = 0.0) -> list[np.ndarray]:
    """Node world matrices in GL layout (world = local @ parent) with `clip` sampled at `time`."""
    trs = {i: [n.translation.astype(np.float64), n.rotation.astype(np.float64)] for i, n in enumerate(asset.nodes)}
    for channel in clip.channels if clip else []:
        if channel.path in ("translation", "rotation"):
            value = np.array([np.interp(time, channel.times, channel.values[:, c])
                              for c in range(channel.values.shape[1])])
            trs[channel.node][0 if channel.path == "translation" else 1] = value
    world = []
    for i, node in enumerate(asset.nodes):
        local = np.eye(4)
        translation, rotation = trs[i]
        local[:3, :3] = _quat_matrix(rotation / np.linalg.norm(rotation)).T  # row-vector layout
        local[3, :3] = translation
        world.append(local if node.parent < 0 else local @ world[node.parent])
    return world


def _skinned(asset, primitive, world) -> np.ndarray:
    skin = asset.skins[0]
    palette = np.stack([skin.inverse_bind_matrices[k] @ world[j] for k, j in enumerate(skin.joints)])
    return skin_positions(primitive.positions.astype(np.float64), primitive.joints, primitive.weights, palette)


def test_skeleton_has_mixamo_and_vrm_bones(mannequin):
    _, asset = mannequin
    names = [node.name for node in asset.nodes]
    assert set(MIXAMO_BONES) <= set(names)
    for bone in VRM_BONES:
        assert bone in asset.humanoid_bones
    assert names[asset.humanoid_bones["leftUpperArm"]] == "LeftArm"
    assert names[asset.humanoid_bones["upperChest"]] == "Spine2"
    assert all(asset.nodes[i].parent < i for i in range(len(asset.nodes)))


def test_rest_pose_matches_inverse_binds(mannequin):
    _, asset = mannequin
    world = _world_matrices(asset)
    skin = asset.skins[0]
    for joint, node in enumerate(skin.joints):
        np.testing.assert_allclose(skin.inverse_bind_matrices[joint] @ world[node], np.eye(4), atol=1e-5)


def test_skin_weights_are_complete(mannequin):
    _, asset = mannequin
    joint_count = len(asset.skins[0].joints)
    for mesh in asset.meshes:
        for primitive in mesh.primitives:
            np.testing.assert_allclose(primitive.weights.sum(axis=1), 1.0, atol=1e-5)
            assert (primitive.weights >= 0).all() and (primitive.weights.max(axis=1) > 0.25).all()
            assert int(primitive.joints.max()) < joint_count
            normal_lengths = np.linalg.norm(primitive.normals, axis=1)
            np.testing.assert_allclose(normal_lengths, 1.0, atol=1e-4)


def test_size_materials_and_triangle_budget(mannequin):
    variant, asset = mannequin
    positions = np.concatenate([p.positions for m in asset.meshes for p in m.primitives])
    assert positions[:, 1].min() == pytest.approx(0.0, abs=2e-3)  # soles on the ground
    assert positions[:, 1].max() == pytest.approx(HEIGHTS[variant], abs=0.03)
    triangles = sum(len(p.indices) // 3 for m in asset.meshes for p in m.primitives)
    assert 3000 < triangles < 16000
    names = {material.name for material in asset.materials}
    assert {"skin", "hair", "shirt", "trousers", "shoes", "eye_white", "iris", "lips"} <= names


def test_variants_differ():
    a, b = build_mannequin("a"), build_mannequin("b")
    colour = {m.name: m.base_color for m in a.materials}
    assert not np.allclose(colour["shirt"], {m.name: m.base_color for m in b.materials}["shirt"])
    assert not np.allclose(colour["skin"], {m.name: m.base_color for m in b.materials}["skin"])
    with pytest.raises(ValueError, match="variant"):
        build_mannequin("z")


def test_face_morph_targets_do_what_they_say(mannequin):
    _, asset = mannequin
    head = next(mesh for mesh in asset.meshes if mesh.target_names)
    assert head.target_names[: len(ARKIT)] == ARKIT
    positions = np.concatenate([p.positions for p in head.primitives])
    deltas = np.concatenate([p.morph_positions for p in head.primitives], axis=1)
    moved = np.linalg.norm(deltas, axis=2) > 1e-3
    assert moved.any(axis=1).all(), "every target moves something"
    jaw = deltas[ARKIT.index("jawOpen")]
    assert jaw[:, 1].min() < -0.01 and positions[moved[0], 1].mean() < positions[:, 1].mean()
    for name, side in (("eyeBlinkLeft", 1), ("eyeBlinkRight", -1)):
        blink = deltas[ARKIT.index(name)]
        assert (np.sign(positions[moved[ARKIT.index(name)], 0]) == side).all()
        assert blink[:, 1].min() < -0.004  # the lids close downwards
    smile = deltas[ARKIT.index("mouthSmileLeft")]
    assert smile[moved[ARKIT.index("mouthSmileLeft")], 1].mean() > 0  # corners go up
    assert deltas[ARKIT.index("browInnerUp")][:, 1].max() > 0.003


def test_clips_are_named_looping_and_linear(mannequin):
    _, asset = mannequin
    assert [clip.name for clip in asset.animations] == ["idle", "walk", "wave", "talk"]
    for clip in asset.animations:
        for channel in clip.channels:
            assert channel.interpolation == "LINEAR"
            np.testing.assert_allclose(np.diff(channel.times[:2]) if len(channel.times) > 2 else 0,
                                       1 / 30 if len(channel.times) > 2 else 0, atol=1e-6)
            np.testing.assert_allclose(channel.values[0], channel.values[-1], atol=1e-5)
            if channel.path == "rotation":
                np.testing.assert_allclose(np.linalg.norm(channel.values, axis=1), 1.0, atol=1e-5)
    assert asset.animations[1].duration == pytest.approx(1.1, abs=1e-6)


def _shoe_primitives(asset):
    shoe_materials = {i for i, m in enumerate(asset.materials) if m.name in ("shoes", "soles")}
    return [p for p in asset.meshes[0].primitives if p.material in shoe_materials]


def test_walk_keeps_feet_on_and_above_the_ground(mannequin):
    _, asset = mannequin
    walk = asset.animations[asset.animation_index("walk")]
    shoes = _shoe_primitives(asset)
    lowest = []
    for time in np.arange(0, 34) / 30:
        world = _world_matrices(asset, walk, time)
        lowest.append(min(_skinned(asset, p, world)[:, 1].min() for p in shoes))
    assert min(lowest) >= -0.01
    assert max(lowest) < 0.01  # some sole is on the ground in every frame: no floating


def test_walk_stance_foot_moves_back_at_walk_speed(mannequin):
    variant, asset = mannequin
    walk = asset.animations[asset.animation_index("walk")]
    foot = [n.name for n in asset.nodes].index("LeftFoot")
    # While the left foot is flat (heel strike at t = 0, heel lifts after ~0.35 s) it must slide back
    # under the body exactly as fast as the body is meant to travel.
    start, end = 4 / 30, 10 / 30
    z = [_world_matrices(asset, walk, t)[foot][3, 2] for t in (start, end)]
    assert (z[0] - z[1]) / (end - start) == pytest.approx(walk_speed(VARIANTS[variant]), rel=0.03)


def test_committed_files_are_current_and_round_trip(tmp_path):
    for variant in ("a", "b"):
        committed = CHARACTERS / f"mannequin_{variant}.glb"
        fresh = tmp_path / committed.name
        write_gltf(build_mannequin(variant), fresh)
        assert fresh.read_bytes() == committed.read_bytes(), "run: python -m engine.assets.mannequin assets/characters"
        assert committed.stat().st_size < 1_500_000
        data = committed.read_bytes()
        json_length = struct.unpack_from("<I", data, 12)[0]
        document = json.loads(data[20 : 20 + json_length])
        assert document["extras"]["humanoidBones"]["hips"] == [n["name"] for n in document["nodes"]].index("Hips")
        walk = next(a for a in document["animations"] if a["name"] == "walk")
        assert walk["extras"]["forwardSpeed"] == pytest.approx(walk_speed(VARIANTS[variant]), abs=1e-4)

        loaded = load_gltf(committed)
        assert [c.name for c in loaded.animations] == ["idle", "walk", "wave", "talk"]
        assert loaded.meshes[1].target_names[: len(ARKIT)] == ARKIT
        assert len(loaded.skins[0].joints) == 53


def test_loaded_mannequin_keeps_bone_map_and_walk_speed():
    asset = load_gltf(CHARACTERS / "mannequin_a.glb")
    assert {"hips", "head", "leftUpperLeg", "rightHand"} <= set(asset.humanoid_bones)
    walk = asset.animations[asset.animation_index("walk")]
    assert walk.extras["forwardSpeed"] == pytest.approx(walk_speed(VARIANTS["a"]), abs=1e-4)
