"""Learned effects: the NCA model (SPEC hash), its loss, checkpoints, exemplars and training (CPU, tiny sizes)."""

from __future__ import annotations

import argparse
import dataclasses
import os

import numpy as np
import pytest
import torch

from engine.errors import InputError
from systems.effects import checkpoint as ckpt
from systems.effects.exemplars import NAMES, make_exemplar, write_exemplar
from systems.effects.nca_model import NCA, NCAConfig, hash_uniform, step_mask
from systems.effects.texture_loss import TextureLoss, compare_to_baselines, independent_metric, texture_distance
from systems.effects.training import TrainSettings, train_effect

TINY = TrainSettings(hidden=32, pool_size=8, batch=2, rollout=(8, 12), seed_every=2, projections=16,
                     preview_steps=(8, 16), checkpoint_every=1000)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def _reference_u(x: int, y: int, step: int, seed: int) -> float:
    m = 0xFFFFFFFF
    h = ((x * 0x8DA6B343) & m) ^ ((y * 0xD8163841) & m) ^ ((step * 0xCB1AB31F) & m) ^ ((seed * 0x165667B1) & m)
    h ^= h >> 16
    h = (h * 0x7FEB352D) & m
    h ^= h >> 15
    h = (h * 0x846CA68B) & m
    h ^= h >> 16
    return (h >> 8) / 16777216.0


def _model(seed: int = 0, hidden: int = 32) -> NCA:
    model = NCA(NCAConfig(hidden=hidden), generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        model.w2.normal_(0.0, 0.05, generator=torch.Generator().manual_seed(seed + 1))
    return model


# --- model -----------------------------------------------------------------------------------------------------


def test_hash_matches_the_spec_in_plain_integers():
    for step, seed in [(0, 0), (5, 1), (123456, 0xFFFFFFFF), (2**32 + 7, 2**40 + 3)]:
        u = hash_uniform(19, 23, step, seed)
        for y, x in [(0, 0), (18, 22), (4, 17), (11, 1)]:
            assert u[y, x].item() == _reference_u(x, y, step & 0xFFFFFFFF, seed & 0xFFFFFFFF)
    mask = step_mask(64, 64, 3, 9)
    assert mask.dtype == torch.float32 and set(mask.unique().tolist()) == {0.0, 1.0}
    assert 0.45 < mask.mean().item() < 0.55


def test_step_with_hash_equals_step_with_that_mask_passed():
    model = _model()
    x = torch.randn(2, 12, 20, 24) * 0.1
    for wrap in (True, False):
        by_hash = model.step(x, step_index=7, seed=3, wrap=wrap)
        explicit = model.step(x, mask=step_mask(20, 24, 7, 3, model.config.fire_rate), wrap=wrap)
        assert torch.equal(by_hash, explicit)
    assert not torch.equal(model.step(x, step_index=7, seed=3), model.step(x, step_index=8, seed=3))


def test_perception_layout_and_orientation():
    model = _model()
    x = torch.zeros(1, 12, 5, 5)
    x[0, 2, :, 3:] = 1.0  # channel 2 steps up towards +x (columns) ...
    x[0, 5, 3:, :] = 1.0  # ... channel 5 towards +y (rows, downwards)
    p = model.perceive(x, wrap=False)
    assert p.shape == (1, 48, 5, 5)
    assert torch.equal(p[0, 4 * 2 + 0], x[0, 2])  # identity
    assert p[0, 4 * 2 + 1, 2, 2] > 0 and p[0, 4 * 2 + 2, 2, 2] == 0  # sobel_x responds, sobel_y does not
    assert p[0, 4 * 5 + 2, 2, 2] > 0 and p[0, 4 * 5 + 1, 2, 2] == 0
    assert torch.allclose(p[0, 4 * 7 + 3], torch.zeros(5, 5))  # laplacian of a constant (zero) channel


# --- loss and metrics --------------------------------------------------------------------------------------------


def test_metrics_rank_the_exemplar_blur_and_flat():
    exemplar = make_exemplar("lava", 64)
    other = make_exemplar("lava", 64, seed=1)  # the same texture, another draw
    report = compare_to_baselines(other, exemplar)
    for metric in ("texture_distance", "independent"):
        assert report["nca"][metric] < report["blur_sigma2"][metric] < report["flat_mean_colour"][metric]
    assert texture_distance(exemplar, exemplar) < 0.02
    assert independent_metric(exemplar, exemplar) < 1e-9
    assert abs(report["flat_mean_colour"]["independent"] - 1.0) < 0.1


def test_loss_decreases_over_a_few_dozen_tiny_iterations(tmp_path):
    settings = dataclasses.replace(TINY, lr=1e-3, rollout=(4, 8), reseed_overflow=1.0)
    result = train_effect("procedural:caustics", tmp_path / "c.pt", iters=40, size=24, seed=0, progress=False,
                          settings=settings)
    history = ckpt.load_effect(tmp_path / "c.pt")[2]["loss_history"]
    assert len(history) == 40 and result["iterations"] == 40
    assert np.median(history[-10:]) < 0.75 * np.median(history[:10])  # medians: robust to the odd spike
    assert os.path.isfile(tmp_path / "c.preview.png")


# --- checkpoints --------------------------------------------------------------------------------------------------


def test_saved_effect_reloads_bit_identically(tmp_path):
    model = _model(seed=4)
    path = ckpt.save_effect(tmp_path / "e.pt", model, seed=4, size=16, exemplar="procedural:fire", iterations=3,
                            loss_history=[1.0, 0.5, 0.25])
    loaded = ckpt.load_nca(path)
    assert not loaded.training and loaded.config == model.config
    for key in ("w1", "b1", "w2"):
        assert torch.equal(getattr(loaded, key), getattr(model, key))
    with torch.no_grad():
        assert torch.equal(loaded.generate(24, 20, seed=4), model.generate(24, 20, seed=4))
    config, weights, meta = ckpt.load_effect(path)
    assert config == model.config and set(weights) == {"w1", "b1", "w2"}
    assert meta["format"] == "moviola-nca" and meta["version"] == 1 and meta["loss_history"] == [1.0, 0.5, 0.25]
    raw = torch.load(path, weights_only=True)  # the runtime's way of reading it
    assert raw["w1"].shape == (32, 48) and raw["w2"].shape == (12, 32) and raw["w1"].dtype == torch.float32


def _assert_one_line_naming(error: InputError, path) -> None:
    text = str(error)
    assert os.path.basename(os.fspath(path)) in text and "\n" not in text, text


def test_bad_checkpoints_are_one_line_input_errors(tmp_path):
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    with pytest.raises(InputError) as info:
        ckpt.load_nca(corrupt)
    _assert_one_line_naming(info.value, corrupt)

    wrong = tmp_path / "wrong_format.pt"
    torch.save({"format": "something-else", "w1": torch.zeros(2)}, wrong)
    with pytest.raises(InputError) as info:
        ckpt.load_effect(wrong)
    _assert_one_line_naming(info.value, wrong)
    assert "format" in str(info.value)

    good = ckpt.checkpoint_dict(_model(), seed=0, size=16, exemplar="x", iterations=0, loss_history=[])
    for name, change in [("shapes.pt", {"w1": torch.zeros(32, 40)}), ("dtype.pt", {"b1": torch.zeros(32).double()}),
                         ("nan.pt", {"w2": torch.full((12, 32), float("nan"))}), ("channels.pt", {"channels": 20}),
                         ("version.pt", {"version": 2}), ("missing.pt", {"exemplar": None})]:
        path = tmp_path / name
        torch.save({**good, **change}, path)
        with pytest.raises(InputError) as info:
            ckpt.load_nca(path)
        _assert_one_line_naming(info.value, path)
    assert "mismatched shapes" in str(pytest.raises(InputError, ckpt.load_nca, tmp_path / "shapes.pt").value)

    with pytest.raises(InputError) as info:
        ckpt.load_nca(tmp_path / "absent.pt")
    _assert_one_line_naming(info.value, tmp_path / "absent.pt")


# --- training -------------------------------------------------------------------------------------------------------


def _weights(path):
    _, weights, meta = ckpt.load_effect(path)
    return weights, meta


def test_training_is_reproducible_from_its_seed(tmp_path):
    runs = {}
    for name, seed in [("a", 5), ("b", 5), ("c", 6)]:
        train_effect("procedural:energy", tmp_path / f"{name}.pt", iters=5, size=16, seed=seed, progress=False,
                     settings=TINY)
        runs[name] = _weights(tmp_path / f"{name}.pt")
    for key in ("w1", "b1", "w2"):
        assert torch.equal(runs["a"][0][key], runs["b"][0][key])
    assert runs["a"][1]["loss_history"] == runs["b"][1]["loss_history"]
    assert not torch.equal(runs["a"][0]["w1"], runs["c"][0]["w1"])


def test_training_resumes_and_refuses_a_mismatched_checkpoint(tmp_path):
    out = tmp_path / "r.pt"
    train_effect("procedural:fire", out, iters=3, size=16, seed=1, progress=False, settings=TINY)
    first = _weights(out)[1]["loss_history"]
    result = train_effect("procedural:fire", out, iters=5, size=16, seed=1, progress=False, settings=TINY)
    history = _weights(out)[1]["loss_history"]
    assert result["iterations"] == 5 and result["iterations_this_run"] == 2
    assert len(history) == 5 and history[:3] == first
    with pytest.raises(InputError) as info:
        train_effect("procedural:fire", out, iters=6, size=16, seed=2, progress=False, settings=TINY)
    _assert_one_line_naming(info.value, out)
    assert "--fresh" in str(info.value)
    result = train_effect("procedural:fire", out, iters=2, size=16, seed=2, resume=False, progress=False,
                          settings=TINY)
    assert result["iterations"] == 2


def test_unreadable_exemplar_is_a_one_line_input_error(tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"not really a png" * 10)
    for exemplar in (broken, tmp_path / "missing.jpg", "procedural:smoke"):
        with pytest.raises(InputError) as info:
            train_effect(exemplar, tmp_path / "x.pt", iters=1, size=16, progress=False, settings=TINY)
        _assert_one_line_naming(info.value, exemplar)
    assert not (tmp_path / "x.pt").exists()


def test_train_command_runs_in_process(tmp_path, capsys):
    from engine.cli import train_command

    image = write_exemplar("lava", tmp_path / "lava.png", size=48)
    args = argparse.Namespace(what="effect", exemplar=image, out=str(tmp_path / "lava.pt"), minutes=None, iters=1,
                              size=16, seed=0, threads=1, fresh=False)
    assert train_command.run(args) == 0
    assert "lava.pt" in capsys.readouterr().out
    assert ckpt.load_nca(tmp_path / "lava.pt").config == NCAConfig()
    env = train_command.tuned_environment(2, {})
    assert env["MALLOC_MMAP_THRESHOLD_"] and env["OMP_NUM_THREADS"] == "2" and env["MOVIOLA_TRAIN_REEXEC"] == "1"
    assert train_command.tuned_environment(2, env) is None


# --- exemplars ------------------------------------------------------------------------------------------------------


def test_exemplar_generators_are_deterministic_and_tile():
    for name in NAMES:
        a = make_exemplar(name, 64, seed=3)
        assert a.shape == (64, 64, 3) and a.dtype == np.uint8
        assert np.array_equal(a, make_exemplar(name, 64, seed=3))
        assert not np.array_equal(a, make_exemplar(name, 64, seed=4))
        assert a.std() > 10  # not flat
        f = a.astype(np.float64)
        seam = np.abs(f[0] - f[-1]).mean() + np.abs(f[:, 0] - f[:, -1]).mean()
        interior = np.abs(f[1:] - f[:-1]).mean() + np.abs(f[:, 1:] - f[:, :-1]).mean()
        assert seam < 2.0 * interior  # wrapping across the border is no worse than a step inside
    with pytest.raises(ValueError):
        make_exemplar("smoke")
