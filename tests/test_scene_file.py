"""Scene files: loading, and every kind of mistake reported as one line naming file, entity and field."""


import numpy as np
import pytest

from components.camera import Camera
from components.model import AnimationPlayer, ModelInstance
from engine.errors import InputError, SceneError
from systems.rendering.extract_frame import ExtractedFrame
from systems.rendering.plugin import scene_plugin
from systems.rendering.view_settings import Timeline
from tests.scene_helpers import load_with, write_scene

GOOD = """
[scene]
name = "blocking"
duration = 3.0

[environment]
background = [0.5, 0.6, 0.7]

[[entity]]
name = "sun"
transform = { rotation = [-45, 30, 0] }
directional_light = { intensity = 3.0 }

[[entity]]
name = "crate"
transform = { translation = [0, 0.5, 0] }
shape = { kind = "box", color = [0.6, 0.4, 0.2] }
path = { keys = [[0, [0, 0.5, 0]], [3, [2, 0.5, 0]]] }

[[entity]]
name = "lid"
parent = "crate"
transform = { translation = [0, 0.6, 0] }
shape = { kind = "box", size = [1, 0.1, 1] }

[[entity]]
name = "wide"
transform = { translation = [4, 2, 6] }
camera = { focal_length_mm = 24, sensor = "super35" }
look_at = { target = "crate" }

[[entity]]
name = "close"
transform = { translation = [1, 1, 2] }
camera = { focal_length_mm = 85 }
look_at = { point = [0, 0.5, 0] }

[[shot]]
name = "1A"
camera = "wide"
start = 0.0

[[shot]]
name = "1B"
camera = "close"
start = 1.5
"""


write = write_scene


def load(path):
    return load_with(scene_plugin, path)


def test_good_scene_loads_and_extracts(tmp_path):
    app, info = load(write(tmp_path, GOOD))
    assert info.name == "blocking" and info.duration == 3.0
    assert set(info.entities) == {"sun", "crate", "lid", "wide", "close"}
    assert app.world.has(info.entities["wide"], Camera)
    shots = app.world.resource(Timeline)
    assert [s.name for s in shots.shots] == ["1A", "1B"]
    app.update_to(2.0)
    extracted = app.world.resource(ExtractedFrame)
    assert extracted.shot_name == "1B"
    assert len(extracted.frame.batches) == 2  # crate and lid: two different box meshes
    lid = next(b for b in extracted.frame.batches if b.primitive.positions[:, 1].max() < 0.1)
    crate = next(b for b in extracted.frame.batches if b is not lid)
    crate_position = crate.models[0][3, :3]
    assert 0.0 < crate_position[0] < 2.0  # part way along its path
    assert np.allclose(lid.models[0][3, :3], crate_position + [0, 0.6, 0], atol=1e-5)  # parented


def test_model_with_animation(tmp_path):
    from engine.assets.gltf_writer import write_gltf
    from tests.test_animation import two_bone_asset

    write_gltf(two_bone_asset(), tmp_path / "rig.glb")
    scene = write(tmp_path, """
        [[entity]]
        name = "rig"
        animation = { clip = "hop", speed = 2.0 }
        model = { path = "rig.glb" }
        """)
    app, info = load(scene)
    rig = info.entities["rig"]
    assert app.world.has(rig, ModelInstance)
    assert app.world.get(rig, AnimationPlayer.clip) == 1


CASES = {
    "syntax": ("[[entity]\nname = 'x'", "TOML syntax error"),
    "unknown component": ("[[entity]]\nname = 'x'\nmodle = { path = 'a.glb' }", "entity 'x': modle: unknown component"),
    "bad field value": ("[[entity]]\nname = 'cam'\ncamera = { focal_length_mm = -5 }", "entity 'cam': camera.focal_length_mm: must be > 0"),
    "wrong type": ("[[entity]]\nname = 'cam'\ncamera = { focal_length_mm = 'long' }", "camera.focal_length_mm: expected a number"),
    "unknown field": ("[[entity]]\nname = 'x'\ntransform = { positon = [0, 0, 0] }", "transform.positon: unknown field"),
    "bad vector": ("[[entity]]\nname = 'x'\ntransform = { translation = [0, 0] }", "transform.translation: expected [x, y, z]"),
    "missing asset": ("[[entity]]\nname = 'hero'\nmodel = { path = 'nope.glb' }", "entity 'hero': model.path: file not found: nope.glb"),
    "missing name": ("[[entity]]\nshape = {}", "entity #1: 'name' is required"),
    "duplicate name": ("[[entity]]\nname = 'a'\n[[entity]]\nname = 'a'", "entity 'a': name: another entity"),
    "unknown parent": ("[[entity]]\nname = 'a'\nparent = 'b'", "entity 'a': parent: no entity named 'b'"),
    "parent cycle": ("[[entity]]\nname = 'a'\nparent = 'b'\n[[entity]]\nname = 'b'\nparent = 'a'", "parent links form a cycle"),
    "unknown clip": ("[[entity]]\nname = 'a'\nshape = {}\nanimation = { clip = 'walk' }", "animation.clip"),
    "shot camera": ("[[entity]]\nname = 'a'\n[[shot]]\ncamera = 'a'", "shot[0].camera: entity 'a' has no camera"),
    "keys order": ("[[entity]]\nname = 'a'\npath = { keys = [[1, [0,0,0]], [0, [1,0,0]]] }", "path.keys[1]: key times must increase"),
    "top level": ("[camera]\nfocal = 3", "unknown top-level table 'camera'"),
    "near far": ("[[entity]]\nname = 'c'\ncamera = { near = 10, far = 1 }", "camera.near: must be less than far"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_scenes_raise_one_line_errors(tmp_path, case):
    text, expected = CASES[case]
    path = write(tmp_path, text)
    with pytest.raises(InputError) as caught:
        load(path)
    message = str(caught.value)
    assert message.startswith(str(path)) and expected in message and "\n" not in message


def test_missing_scene_file(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        load(tmp_path / "absent.toml")


def test_binary_scene_file(tmp_path):
    path = tmp_path / "scene.toml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(SceneError):
        load(path)


def test_mirrored_instances_get_their_own_batch(tmp_path):
    scene = write(tmp_path, """
        [[entity]]
        name = "cam"
        camera = {}
        [[entity]]
        name = "left"
        transform = { translation = [-1, 0, 0] }
        shape = { kind = "box" }
        [[entity]]
        name = "right"
        parent = "left"
        transform = { translation = [2, 0, 0] }
        shape = { kind = "box" }
        """)
    app, info = load(scene)
    from components.transform import Transform

    app.world.set(info.entities["right"], Transform.scale, (-1.0, 1.0, 1.0))
    app.update_to(0.0)
    batches = app.world.resource(ExtractedFrame).frame.batches
    assert sorted(b.mirrored for b in batches) == [False, True]
