"""main.py end to end: headless renders, determinism, and one-line errors with exit code 2."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.test_scene_file import GOOD

ROOT = Path(__file__).resolve().parents[1]


def run_main(*args, cwd=ROOT):
    env = dict(os.environ, MOVIOLA_NO_PROGRESS="1")
    env.pop("DISPLAY", None)
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def assert_one_line_error(result, *fragments):
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    path = tmp_path_factory.mktemp("scene") / "blocking.toml"
    path.write_text(GOOD)
    return path


def read_pngs(directory):
    return [np.asarray(Image.open(p)) for p in sorted(Path(directory).glob("*.png"))]


def test_render_png_sequence_is_deterministic(scene, tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    for out in (first, second):
        result = run_main("render", scene, "--out", out, "--frames", 4, "--size", "160x96", "--fps", 2)
        assert result.returncode == 0, result.stderr
    a, b = read_pngs(first), read_pngs(second)
    assert len(a) == 4 and a[0].shape == (96, 160, 3)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[0], a[1])  # the crate moves
    assert a[0].std() > 5  # real content, not a flat clear colour


def test_render_mp4(scene, tmp_path):
    import av

    out = tmp_path / "shot.mp4"
    result = run_main("render", scene, "--out", out, "--frames", 6, "--size", "160x96", "--camera", "close")
    assert result.returncode == 0, result.stderr
    with av.open(str(out)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert len(frames) == 6 and frames[0].shape == (96, 160, 3)


def test_missing_scene(tmp_path):
    assert_one_line_error(run_main("render", tmp_path / "none.toml", "--out", tmp_path / "x.mp4"), "none.toml", "file not found")


def test_scene_syntax_error(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[[entity]\nname='x'")
    assert_one_line_error(run_main("render", bad, "--out", tmp_path / "x.mp4"), "bad.toml", "TOML syntax error")


def test_unknown_camera(scene, tmp_path):
    assert_one_line_error(run_main("render", scene, "--out", tmp_path / "x.mp4", "--camera", "drone"), "no camera named 'drone'")


def test_bad_size_flag(scene, tmp_path):
    assert_one_line_error(run_main("render", scene, "--out", tmp_path / "x.mp4", "--size", "wide"), "WIDTHxHEIGHT")


@pytest.mark.parametrize("name,content,expected", [
    ("truncated.glb", b"glTF\x02\x00\x00\x00\xff\x00\x00\x00JSON", "truncated.glb"),
    ("garbage.gltf", b"{ this is not json", "garbage.gltf"),
    ("empty.obj", b"", "empty.obj"),
])
def test_view_bad_assets(tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_bytes(content)
    assert_one_line_error(run_main("view", path, "--out", tmp_path / "v.mp4", "--frames", 2), expected)


def test_view_missing_asset(tmp_path):
    assert_one_line_error(run_main("view", tmp_path / "ghost.glb", "--out", tmp_path / "v.mp4"), "ghost.glb", "file not found")


def test_failed_render_keeps_existing_output(scene, tmp_path):
    out = tmp_path / "keep.mp4"
    out.write_bytes(b"previous good render")
    result = run_main("render", scene, "--out", out, "--frames", 2, "--camera", "nobody")
    assert result.returncode == 2
    assert out.read_bytes() == b"previous good render"


@pytest.mark.skipif(not __import__("shutil").which("xvfb-run"), reason="xvfb-run not installed (apt-get install xvfb)")
def test_play_window_under_xvfb(scene, tmp_path):
    shot = tmp_path / "window.png"
    env = dict(os.environ, MOVIOLA_NO_PROGRESS="1")
    result = subprocess.run(["xvfb-run", "-a", sys.executable, str(ROOT / "main.py"), "play", str(scene), "--size", "320x180",
                             "--quit-after", "2", "--screenshot", str(shot)], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    image = np.asarray(Image.open(shot))
    assert image.shape == (180, 320, 3) and image.std() > 5


def test_demo_scene_renders_with_motion(tmp_path):
    import av

    out = tmp_path / "d.mp4"
    result = run_main("render", "scenes/demo.toml", "--frames", 48, "--size", "640x360", "--out", out)
    assert result.returncode == 0, result.stderr
    with av.open(str(out)) as container:
        frames = [f.to_ndarray(format="rgb24").astype(np.int16) for f in container.decode(video=0)]
    assert len(frames) == 48 and frames[0].shape == (360, 640, 3)
    assert all(frame.std() > 20 for frame in frames[::8])  # lit scene, not a flat clear colour
    motion = [np.abs(a - b).mean() for a, b in zip(frames[:-1], frames[1:])]
    assert min(motion) > 0.05 and np.mean(motion) > 0.5  # the camera cranes, the performers walk


SHARED = ROOT.parent / "shared" / "assets"


@pytest.mark.skipif(not SHARED.exists(), reason="../shared/assets is not beside the checkout")
@pytest.mark.parametrize("asset", ["gltf/CesiumMan.glb", "gltf/AnimatedMorphCube/AnimatedMorphCube.gltf"])
def test_view_animates_shared_samples(tmp_path, asset):
    out = tmp_path / "frames"
    result = run_main("view", SHARED / asset, "--out", out, "--frames", 2, "--fps", 1.2, "--size", "160x120")
    assert result.returncode == 0, result.stderr
    first, second = read_pngs(out)
    assert np.abs(first.astype(int) - second.astype(int)).mean() > 0.5  # skinning / morph weights visibly move
