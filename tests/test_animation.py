"""Clip sampling into the pose pool, hierarchy propagation, paths and look-at."""

import math

import numpy as np
import pytest

from components.model import AnimationPlayer, ModelInstance
from components.motion import LookAt, PathFollower
from components.transform import GlobalTransform, Parent, Transform
from engine.app import App
from engine.assets.library import AssetLibrary
from engine.assets.model import AnimationChannel, AnimationClip, Mesh, ModelAsset, Node
from engine.assets.shapes import box
from engine.math_kernels import quat_from_axis_angle
from systems.animation.plugin import animation_plugin
from systems.animation.pose_pool import PosePool
from systems.animation.spawn_model import despawn_model, spawn_model
from systems.animation.track_library import TrackLibrary


def two_bone_asset() -> ModelAsset:
    """root -> arm (1 m along +X); clips rotate the root about +Y, move it, and drive a morph weight."""
    mesh_primitive = box()
    mesh_primitive.morph_positions = np.zeros((2, mesh_primitive.vertex_count, 3), np.float32)
    nodes = [Node("root", children=[1]), Node("arm", parent=0, translation=np.array([1, 0, 0], np.float32), mesh=0)]
    quarter = quat_from_axis_angle((0, 1, 0), math.pi / 2)
    spin = AnimationClip("spin", [
        AnimationChannel(0, "rotation", "LINEAR", np.array([0, 1], np.float32), np.array([[0, 0, 0, 1], quarter], np.float32)),
        AnimationChannel(1, "weights", "LINEAR", np.array([0, 1], np.float32), np.array([[0, 0], [1, 0.5]], np.float32)),
    ])
    hop = AnimationClip("hop", [
        AnimationChannel(0, "translation", "STEP", np.array([0, 0.5], np.float32), np.array([[0, 0, 0], [0, 2, 0]], np.float32)),
        AnimationChannel(0, "scale", "CUBICSPLINE", np.array([0, 1], np.float32),
                         np.array([[[0, 0, 0], [1, 1, 1], [0, 0, 0]], [[0, 0, 0], [3, 3, 3], [0, 0, 0]]], np.float32)),
    ])
    return ModelAsset("<test>", nodes=nodes, roots=[0], meshes=[Mesh("m", [mesh_primitive])], animations=[spin, hop])


@pytest.fixture
def app():
    app = App()
    app.add_plugin(animation_plugin)
    return app


def arm_world_position(app, entity):
    offset = int(app.world.get(entity, ModelInstance.pose_offset))
    model = app.world.resource(PosePool).model[offset + 1]
    return (model @ app.world.get(entity, GlobalTransform.matrix))[3, :3]


def test_linear_rotation_and_weights(app):
    handle = app.world.resource(AssetLibrary).add(two_bone_asset())
    e = spawn_model(app.world, handle, Transform(translation=(0, 0, 5)), clip=0)
    app.update_to(0.5)
    angle = math.pi / 4  # slerp halfway to 90 degrees about +Y: +X turns towards -Z
    assert np.allclose(arm_world_position(app, e), [math.cos(angle), 0, 5 - math.sin(angle)], atol=1e-5)
    pool = app.world.resource(PosePool)
    assert np.allclose(pool.weights[:2], [0.5, 0.25])


def test_step_cubic_and_looping(app):
    handle = app.world.resource(AssetLibrary).add(two_bone_asset())
    e = spawn_model(app.world, handle, clip=1)
    app.update_to(0.25)
    pool = app.world.resource(PosePool)
    offset = 0
    assert pool.translation[offset, 1] == 0.0  # STEP holds the first key
    s = 0.25  # hermite with zero tangents from 1 to 3: 1 + 2 * (3s^2 - 2s^3)
    assert np.allclose(pool.scale[offset], 1 + 2 * (3 * s**2 - 2 * s**3))
    app.update_to(1.75)  # loops (duration 1.0): clip time 0.75
    assert pool.translation[offset, 1] == 2.0
    assert np.isclose(app.world.get(e, AnimationPlayer.time), 0.75)


def test_seek_gives_the_same_pose_as_playing(app):
    handle = app.world.resource(AssetLibrary).add(two_bone_asset())
    e = spawn_model(app.world, handle, clip=0)
    for i in range(30):
        app.update_to(i / 24)
    played = arm_world_position(app, e).copy()
    app.update_to(0.0)
    app.update_to(29 / 24)
    assert np.array_equal(played, arm_world_position(app, e))


def test_despawned_segments_are_reused(app):
    library = app.world.resource(AssetLibrary)
    handle = library.add(two_bone_asset())
    a = spawn_model(app.world, handle)
    despawn_model(app.world, a)
    spawn_model(app.world, handle)
    assert app.world.resource(PosePool).used == 2


def test_hierarchy_propagation(app):
    w = app.world
    a = w.spawn(Transform(translation=(1, 0, 0), rotation=quat_from_axis_angle((0, 1, 0), math.pi / 2)), GlobalTransform())
    b = w.spawn(Transform(translation=(0, 0, 2), scale=(2, 2, 2)), GlobalTransform(), Parent(entity=a))
    c = w.spawn(Transform(translation=(1, 0, 0)), GlobalTransform(), Parent(entity=b))
    app.update_to(0.0)
    # a turns +Z into +X: b sits at (1,0,0)+(2,0,0); c is 1 m along b's (scaled, turned) +X = -Z * 2
    assert np.allclose(w.get(b, GlobalTransform.matrix)[3, :3], [3, 0, 0], atol=1e-5)
    assert np.allclose(w.get(c, GlobalTransform.matrix)[3, :3], [3, 0, -2], atol=1e-5)


def test_path_following_and_look_at(app):
    w = app.world
    track = w.resource(TrackLibrary).add([0.0, 2.0], [[0, 0, 0], [4, 0, 0]], smooth=False)
    walker = w.spawn(Transform(), GlobalTransform(), PathFollower(track=track, face_travel=True))
    camera = w.spawn(Transform(translation=(2, 0, 10)), GlobalTransform(), LookAt(target=walker))
    app.update_to(1.0)
    assert np.allclose(w.get(walker, Transform.translation), [2, 0, 0])
    walker_forward = w.get(walker, GlobalTransform.matrix)[2, :3]  # +Z row now points along +X
    assert np.allclose(walker_forward, [1, 0, 0], atol=1e-5)
    camera_forward = -w.get(camera, GlobalTransform.matrix)[2, :3]
    assert np.allclose(camera_forward, [0, 0, -1], atol=1e-5)


def test_clip_cues_switch_clips_at_their_times(app):
    from components.model import ClipCues
    from systems.animation.clip_cues import CueLibrary

    handle = app.world.resource(AssetLibrary).add(two_bone_asset())
    first, count = app.world.resource(CueLibrary).add([0.0, 2.0], [0, 1])
    e = spawn_model(app.world, handle, None, ClipCues(first=first, count=count), clip=0)
    app.update_to(1.5)
    assert app.world.get(e, AnimationPlayer.clip) == 0
    app.update_to(2.25)
    assert app.world.get(e, AnimationPlayer.clip) == 1
    assert np.isclose(app.world.get(e, AnimationPlayer.time), 0.25)  # the hop clip starts at its cue
