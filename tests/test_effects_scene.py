"""Learned effects in scenes: a trained automaton in a material channel, animated by scene time,
identical frames in any order, one-line errors for bad effect files, `view EFFECT.pt`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from engine.cli.scene_session import HeadlessOutput, build_scene_app
from engine.errors import InputError
from systems.effects.checkpoint import save_effect
from systems.effects.nca_model import NCA, NCAConfig
from tests.test_cli import assert_one_line_error, run_main

SIZE = (96, 64)


@pytest.fixture(scope="module")
def effect_path(tmp_path_factory) -> Path:
    """Random weights with a visible update: the pattern changes from step to step."""
    generator = torch.Generator().manual_seed(5)
    model = NCA(NCAConfig(), generator=generator)
    with torch.no_grad():
        model.w2.copy_(torch.randn(model.w2.shape, generator=generator) * 0.05)
    path = tmp_path_factory.mktemp("effects") / "random.pt"
    save_effect(path, model, seed=5, size=32, exemplar="test")
    return path


def scene_text(effect: Path, channel: str = "emissive") -> str:
    return f"""
[scene]
duration = 2.0
fps = 24

[[entity]]
name = "panel"
transform = {{ rotation = [90, 0, 0] }}
shape = {{ kind = "plane", size = [2, 0, 2], color = [0.1, 0.1, 0.1] }}
learned_effect = {{ effect = "{effect}", channel = "{channel}", brightness = 2.0, size = 32, speed = 24, seed = 3 }}

[[entity]]
name = "cam"
transform = {{ translation = [0, 0, 2.2] }}
camera = {{ focal_length_mm = 35 }}
"""


def render(scene: Path, times) -> list[np.ndarray]:
    app, _ = build_scene_app(scene, SIZE)
    output = HeadlessOutput.attach(app, SIZE)
    try:
        return [output.frame_at(app, t) for t in times]
    finally:
        output.release()
        app.close()


def test_an_effect_animates_the_material_and_renders_the_same_in_any_order(tmp_path, effect_path):
    scene = tmp_path / "fx.toml"
    scene.write_text(scene_text(effect_path))
    forward = render(scene, [0.0, 0.5, 1.0])
    backward = render(scene, [1.0, 0.5, 0.0])[::-1]  # seeks back: the runner reseeds and steps again
    assert all(np.array_equal(a, b) for a, b in zip(forward, backward))
    assert not np.array_equal(forward[0], forward[2])  # it moves with scene time
    plain = tmp_path / "plain.toml"
    plain.write_text(scene_text(effect_path).replace('learned_effect = {', '# learned_effect = {'))
    assert np.abs(forward[1].astype(int) - render(plain, [0.5])[0]).mean() > 5  # and it shows


def test_base_colour_and_emissive_channels_both_draw(tmp_path, effect_path):
    images = {}
    for channel in ("emissive", "base_color"):
        scene = tmp_path / f"{channel}.toml"
        scene.write_text(scene_text(effect_path, channel))
        images[channel] = render(scene, [0.5])[0]
    assert not np.array_equal(images["emissive"], images["base_color"])


def test_bad_effect_files_get_one_line_errors(tmp_path, effect_path):
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"not a checkpoint at all")
    for effect, fragment in ((tmp_path / "missing.pt", "learned_effect.effect: file not found"),
                             (corrupt, "corrupt.pt")):
        scene = tmp_path / "bad.toml"
        scene.write_text(scene_text(effect))
        with pytest.raises(InputError) as caught:
            build_scene_app(scene, SIZE)
        assert fragment in str(caught.value) and "\n" not in str(caught.value)
    scene = tmp_path / "channel.toml"
    scene.write_text(scene_text(effect_path, "roughness"))
    with pytest.raises(InputError, match="learned_effect.channel: expected one of emissive, base_color"):
        build_scene_app(scene, SIZE)


def test_view_shows_an_effect_on_a_full_frame_plane(tmp_path, effect_path):
    out = tmp_path / "view"
    result = run_main("view", effect_path, "--out", out, "--frames", "2", "--size", "96x64")
    assert result.returncode == 0, result.stderr
    frames = sorted(out.glob("*.png"))
    assert len(frames) == 2
    assert_one_line_error(run_main("view", tmp_path / "nope.pt", "--out", out), "nope.pt", "file not found")
