"""The GLSL runtime of learned effects against the torch model (systems/effects/SPEC.md).

The torch step (`systems.effects.nca_model.NCA.step`) is the reference; an
independent numpy transcription of the SPEC checks both the hash and the filter
orientation. Grids are small and not square (W != H) so a transposed axis shows.
"""

from __future__ import annotations

import math

import moderngl
import numpy as np
import pytest
import torch

from engine.render.effect_runner import EffectRunner, torch_model
from systems.effects.glsl_export import display_shader_source, effect_shader_source
from systems.effects.nca_model import NCA, NCAConfig

SIZE = (40, 24)  # (width, height): torch states are (C, 24, 40)
WIDTH, HEIGHT = SIZE
TOLERANCE = 1e-5
SEED = 1234567


def make_weights(channels: int = 12, hidden: int = 96, seed: int = 3) -> tuple[dict, NCAConfig]:
    """The torch model's initial weights, with a non-zero second layer."""
    generator = torch.Generator().manual_seed(seed)
    config = NCAConfig(channels=channels, hidden=hidden)
    model = NCA(config, generator=generator)
    with torch.no_grad():
        model.w2.copy_(torch.randn(model.w2.shape, generator=generator) * 0.05)
    return {k: getattr(model, k).detach().numpy().copy() for k in ("w1", "b1", "w2")}, config


WEIGHTS, CONFIG = make_weights()


def random_state(seed: int, channels: int = 12, scale: float = 0.5) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal((channels, HEIGHT, WIDTH)) * scale).astype(np.float32)


def torch_step(model: NCA, x: np.ndarray, *, wrap: bool, step=None, seed=0, mask=None) -> np.ndarray:
    with torch.no_grad():
        mask_tensor = None if mask is None else torch.from_numpy(mask)
        out = model.step(torch.from_numpy(x)[None], step, seed, mask=mask_tensor, wrap=wrap)
    return out[0].numpy()


@pytest.fixture(scope="module")
def model() -> NCA:
    return torch_model(WEIGHTS, CONFIG)


@pytest.fixture(scope="module", params=[True, False], ids=["wrap", "clamp"])
def runner(gl_ctx, request):
    runner = EffectRunner(gl_ctx, WEIGHTS, CONFIG, SIZE, wrap=request.param, seed=SEED)
    yield runner
    runner.release()


# ------------------------------------------------------------------ one step vs torch
def test_step_matches_torch_with_fixed_mask(runner, model):
    x = random_state(1)
    mask = (np.random.default_rng(2).random((HEIGHT, WIDTH)) < 0.5).astype(np.float32)
    runner.write_state(x)
    runner.step(1, mask=mask)
    expected = torch_step(model, x, wrap=runner.wrap, mask=mask)
    assert np.abs(expected - x).max() > 0.05  # the step really changes the state
    assert np.abs(runner.read_state() - expected).max() <= TOLERANCE


def test_step_matches_torch_with_hash_mask(runner, model):
    runner.reseed(SEED)
    runner.step(3)  # the next step uses hash step index 3
    x = random_state(4)
    runner.write_state(x)
    runner.step(1)
    expected = torch_step(model, x, wrap=runner.wrap, step=3, seed=SEED)
    assert np.abs(runner.read_state() - expected).max() <= TOLERANCE
    # The hash mask fired the same cells: about half of them, and those cells only.
    changed = np.abs(runner.read_state() - x).max(axis=0) > 0
    fired = np.abs(expected - x).max(axis=0) > 0
    assert np.array_equal(changed, fired)
    assert 0.35 < fired.mean() < 0.65


def test_several_steps_stay_close(runner, model):
    runner.reseed(SEED)
    x = np.zeros((12, HEIGHT, WIDTH), np.float32)
    worst = 0.0
    for k in range(24):
        runner.step(1)
        x = torch_step(model, x, wrap=runner.wrap, step=k, seed=SEED)
        worst = max(worst, float(np.abs(runner.read_state() - x).max()))
    assert np.abs(x).max() > 0.1  # the pattern moved away from the seed
    assert worst <= 1e-4


def test_step_matches_independent_spec_transcription(runner):
    """numpy, float64, uint32 hash: the SPEC as written, with no code shared with torch."""
    runner.reseed(SEED)
    runner.step(5)
    x = random_state(6)
    runner.write_state(x)
    runner.step(1)
    expected = spec_step(x, WEIGHTS, step=5, seed=SEED, fire_rate=0.5, wrap=runner.wrap)
    assert np.abs(runner.read_state() - expected).max() <= TOLERANCE


def test_spec_hash_matches_torch_hash():
    from systems.effects.nca_model import hash_uniform

    for step, seed in ((0, 0), (7, SEED), (2**32 - 1, 2**31 + 5)):
        assert np.array_equal(spec_uniform(HEIGHT, WIDTH, step, seed), hash_uniform(HEIGHT, WIDTH, step, seed).numpy())


def test_sixteen_channels_and_uneven_channel_count(gl_ctx):
    """14 channels: the fourth texture is half used; the padding stays zero."""
    weights, config = make_weights(channels=14, hidden=8, seed=9)
    model = torch_model(weights, config)
    runner = EffectRunner(gl_ctx, weights, config, SIZE, seed=5)
    try:
        x = random_state(10, channels=14)
        runner.write_state(x)
        runner.step(1)
        expected = torch_step(model, x, wrap=True, step=0, seed=5)
        assert runner.read_state().shape == (14, HEIGHT, WIDTH)
        assert np.abs(runner.read_state() - expected).max() <= TOLERANCE
    finally:
        runner.release()


def test_torch_fallback_backend_matches_glsl(gl_ctx, runner):
    fallback = EffectRunner(gl_ctx, WEIGHTS, CONFIG, SIZE, wrap=runner.wrap, seed=SEED, backend="torch")
    try:
        runner.reseed(SEED)
        x = random_state(11)
        for r in (runner, fallback):
            r.write_state(x)
            r.step(4)
        assert fallback.step_index == runner.step_index == 4
        assert np.abs(fallback.read_state() - runner.read_state()).max() <= 4 * TOLERANCE
        assert np.abs(fallback.read_color() - runner.read_color()).max() <= 1e-3  # float16 texture
    finally:
        fallback.release()


def test_falls_back_to_torch_when_the_step_program_does_not_build(gl_ctx, model, monkeypatch):
    from engine.render import effect_runner

    def refuse(ctx, source):
        raise moderngl.Error("GLSL Compiler failed (simulated)")

    monkeypatch.setattr(effect_runner, "_acquire_program", refuse)
    runner = EffectRunner(gl_ctx, WEIGHTS, CONFIG, SIZE, seed=SEED)
    try:
        assert runner.backend == "torch"
        x = random_state(15)
        runner.write_state(x)
        runner.step(1)
        assert np.abs(runner.read_state() - torch_step(model, x, wrap=True, step=0, seed=SEED)).max() <= TOLERANCE
        assert runner.read_color().max() <= 1.0
    finally:
        runner.release()


def test_runner_takes_weights_from_a_checkpoint(gl_ctx, model, tmp_path):
    from systems.effects.checkpoint import load_effect, save_effect

    path = save_effect(tmp_path / "effect.pt", model, seed=SEED, size=64, exemplar="procedural:fire")
    config, weights, _ = load_effect(path)  # torch tensors and an NCAConfig
    runner = EffectRunner(gl_ctx, weights, config, SIZE, seed=SEED)
    try:
        runner.step(16)
        with torch.no_grad():
            expected = model.forward(model.seed_state(1, (HEIGHT, WIDTH)), 16, start_step=0, seed=SEED)[0].numpy()
        assert np.abs(runner.read_state() - expected).max() <= 1e-4
    finally:
        runner.release()


# ------------------------------------------------------------------ seeding and rate
def test_reseed_resets_state_and_step_counter(runner):
    runner.reseed(SEED)
    runner.step(12)
    first = runner.read_state()
    assert np.abs(first).max() > 0
    runner.reseed()
    assert runner.step_index == 0
    assert not runner.read_state().any()
    runner.step(12)
    assert np.array_equal(runner.read_state(), first)  # the same seed replays exactly
    runner.reseed(SEED + 1)
    runner.step(12)
    assert runner.seed_value == SEED + 1
    assert not np.array_equal(runner.read_state(), first)  # a new seed, other cells fire


def test_advance_takes_the_right_number_of_steps(runner):
    runner.reseed(SEED)
    runner.max_steps_per_frame = 8
    taken = [runner.advance(1.0 / 60.0, rate=30.0) for _ in range(60)]  # one second at 60 fps
    assert sum(taken) == 30 and set(taken) == {0, 1}
    assert runner.step_index == 30
    assert sum(runner.advance(1.0 / 24.0, rate=10.0) for _ in range(24)) == 10  # fractions carry over
    assert runner.advance(0.1, rate=0.0) == 0  # paused
    assert runner.advance(-1.0, rate=30.0) == 0  # time going back takes no steps
    assert runner.advance(10.0, rate=30.0) == 8  # capped per frame; the backlog is dropped
    assert runner.advance(0.0, rate=30.0) == 0
    assert runner.advance(0.5, rate=4.0) == 2
    with pytest.raises(ValueError):
        runner.advance(0.1, rate=-1.0)


# ------------------------------------------------------------------ display
def test_display_texture_is_in_range_and_follows_the_state(runner):
    x = random_state(12, scale=4.0)  # far outside [-0.5, 0.5]
    runner.write_state(x)
    runner.set_display(tint=(1, 1, 1), brightness=1.0, hue_degrees=0.0, uv_scale=1.0)
    color = runner.read_color()
    assert color.shape == (HEIGHT, WIDTH, 4)
    assert np.isfinite(color).all() and color.min() >= 0.0 and color.max() <= 1.0
    expected = srgb_to_linear(np.clip(x[0:3] + 0.5, 0.0, 1.0)).transpose(1, 2, 0)
    assert np.abs(color[..., :3] - expected).max() <= 2e-3  # float16 storage
    texture = runner.color_texture
    assert texture.repeat_x and texture.repeat_y  # materials tile it
    assert texture.filter == (moderngl.LINEAR_MIPMAP_LINEAR, moderngl.LINEAR)
    runner.set_display(tint=(1.0, 0.5, 0.0), brightness=2.0)
    tinted = runner.read_color()
    assert np.allclose(tinted[..., :3], expected * np.array([2.0, 1.0, 0.0]), atol=4e-3)
    runner.set_display(tint=(1, 1, 1), brightness=1.0, hue_degrees=120.0)
    rotated = runner.read_color()  # a 120 degree turn about grey swaps the primaries round
    assert np.abs(rotated[..., 1] - color[..., 0]).max() <= 4e-3
    runner.set_display(hue_degrees=0.0)


def test_display_srgb_output_and_tiling(gl_ctx):
    runner = EffectRunner(gl_ctx, WEIGHTS, CONFIG, SIZE, seed=SEED, color="srgb", display_size=(80, 48))
    try:
        x = random_state(13, scale=2.0)
        runner.write_state(x)
        runner.set_display(uv_scale=2.0)  # the pattern twice across, each copy at the grid's resolution
        color = runner.read_color()
        assert color.shape == (48, 80, 4) and color.min() >= 0.0 and color.max() <= 1.0
        expected = np.clip(x[0:3] + 0.5, 0.0, 1.0).transpose(1, 2, 0)  # the SPEC colour, sRGB
        for tile_y in (0, 1):
            for tile_x in (0, 1):
                tile = color[tile_y * 24 : tile_y * 24 + 24, tile_x * 40 : tile_x * 40 + 40, :3]
                assert np.abs(tile - expected).max() <= 1.5 / 255.0
    finally:
        runner.release()


# ------------------------------------------------------------------ resources
def test_no_gl_objects_created_per_step_or_frame(gl_ctx):
    created: list = []
    factories = ("texture", "framebuffer", "program", "vertex_array", "sampler", "buffer", "renderbuffer", "query")

    def counting(name):
        original = getattr(gl_ctx, name)

        def create(*args, **kwargs):
            obj = original(*args, **kwargs)
            created.append(obj)
            return obj

        return create

    weights, config = make_weights(seed=5)  # programs of its own (step programs are shared by source)
    for name in factories:
        setattr(gl_ctx, name, counting(name))
    try:
        runner = EffectRunner(gl_ctx, weights, config, SIZE, seed=SEED)
        runner.step(1, mask=np.ones((HEIGHT, WIDTH), np.float32))  # builds the fixed-mask variant once
        assert runner.color_texture is not None
        at_start = len(created)
        assert at_start == runner.gl_objects
        for frame in range(60):
            runner.advance(1.0 / 60.0, rate=120.0)
            runner.step(2)
            runner.step(1, mask=np.zeros((HEIGHT, WIDTH), np.float32))
            assert runner.color_texture is not None
            if frame % 20 == 0:
                runner.set_display(brightness=1.0 + frame / 60.0)
                runner.write_state(runner.read_state())
                runner.reseed(frame)
        gl_ctx.finish()
        assert len(created) == at_start  # nothing allocated while running
        runner.release()
        runner.release()  # twice is harmless
        assert all(type(obj.mglo).__name__ == "InvalidObject" for obj in created)
    finally:
        for name in factories:
            delattr(gl_ctx, name)


def test_runners_of_one_effect_share_the_step_program(gl_ctx, runner):
    other = EffectRunner(gl_ctx, WEIGHTS, CONFIG, (16, 16), wrap=runner.wrap, seed=99)
    try:
        assert other._programs[False][0] is runner._programs[False][0]
    finally:
        other.release()
    runner.reseed(SEED)
    runner.step(2)  # still works after the other runner let go of the program
    assert runner.read_state().any()


def test_shader_source_bakes_every_weight():
    source = effect_shader_source(WEIGHTS, CONFIG, wrap=False)
    assert source.startswith("#version 330 core")
    assert "#define NCA_WRAP 0" in source
    for name in ("u_state0", "u_state1", "u_state2", "u_step", "u_seed", "u_fire_rate", "out_state2"):
        assert name in source
    assert "u_state3" not in source and "uniform sampler2D u_mask" not in source
    assert f"{float(WEIGHTS['w1'][7, 11]):.9g}" in source  # literal constants, full precision (%.9g)
    assert f"{float(WEIGHTS['w2'][11, 95]):.9g}" in source
    assert "[j" not in source and "for (" not in source  # no loops, no dynamic indexing
    assert "uniform sampler2D u_mask" in effect_shader_source(WEIGHTS, CONFIG, mask_texture=True)
    bad = dict(WEIGHTS, w2=WEIGHTS["w2"][:, :10])
    with pytest.raises(ValueError):
        effect_shader_source(bad, None)
    with pytest.raises(ValueError):
        effect_shader_source(dict(WEIGHTS, b1=WEIGHTS["b1"] * np.nan), None)
    with pytest.raises(ValueError):
        display_shader_source(output="gamma")


# ------------------------------------------------------------------ the SPEC in numpy
SOBEL_X = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], np.float64) / 8.0
KERNELS = (
    np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], np.float64),
    SOBEL_X,
    SOBEL_X.T,
    np.array([[1, 2, 1], [2, -12, 2], [1, 2, 1]], np.float64) / 16.0,
)


def spec_uniform(height: int, width: int, step: int, seed: int) -> np.ndarray:
    u32 = np.uint32
    y, x = np.meshgrid(np.arange(height, dtype=u32), np.arange(width, dtype=u32), indexing="ij")
    with np.errstate(over="ignore"):
        h = x * u32(0x8DA6B343) ^ y * u32(0xD8163841) ^ u32(step) * u32(0xCB1AB31F) ^ u32(seed) * u32(0x165667B1)
        h ^= h >> u32(16)
        h *= u32(0x7FEB352D)
        h ^= h >> u32(15)
        h *= u32(0x846CA68B)
        h ^= h >> u32(16)
    return ((h >> u32(8)).astype(np.float32) / np.float32(16777216.0)).astype(np.float32)


def spec_step(x, weights, *, step, seed, fire_rate, wrap) -> np.ndarray:
    channels, height, width = x.shape
    padded = np.pad(x.astype(np.float64), ((0, 0), (1, 1), (1, 1)), mode="wrap" if wrap else "edge")
    features = np.zeros((4 * channels, height, width))
    for k, kernel in enumerate(KERNELS):
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                neighbour = padded[:, 1 + dy : 1 + dy + height, 1 + dx : 1 + dx + width]
                features[k::4] += kernel[dy + 1, dx + 1] * neighbour  # p[4c + k]
    w1, b1, w2 = (weights[k].astype(np.float64) for k in ("w1", "b1", "w2"))
    hidden = np.maximum(np.einsum("jf,fyx->jyx", w1, features) + b1[:, None, None], 0.0)
    update = np.einsum("cj,jyx->cyx", w2, hidden)
    mask = (spec_uniform(height, width, step, seed) < np.float32(fire_rate)).astype(np.float64)
    return (x + update * mask).astype(np.float32)


def srgb_to_linear(c: np.ndarray) -> np.ndarray:
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def test_spec_transcription_agrees_with_torch(model):
    """The two references agree with each other (so a GLSL match is a match to the SPEC)."""
    x = random_state(14)
    expected = torch_step(model, x, wrap=True, step=2, seed=SEED)
    assert np.abs(spec_step(x, WEIGHTS, step=2, seed=SEED, fire_rate=0.5, wrap=True) - expected).max() <= TOLERANCE
    assert not math.isnan(float(expected.sum()))
