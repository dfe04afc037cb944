"""Learned effect cost: `bench_effects(size=128) -> dict`.

What is measured, on a headless context (Mesa llvmpipe without a GPU):

- `glsl_step_ms`: one NCA step of the exported GLSL (weights baked in; C = 12,
  HIDDEN = 96) on a `size`^2 grid, timed from the draw to `ctx.finish()`, the
  median over `steps` single steps after warm-up steps.
- `torch_step_ms`: the torch reference step (`NCA.step`, hash mask) at the same
  size on one CPU thread, median of a few.
- `max_abs_diff`: max |GLSL - torch| after one step from the same random state
  with the same mask (the SPEC hash mask of step 0 and the same seed on both sides).
- `train_iter_s`: seconds per training iteration at 64^2. `train_iter_source`
  says how it was timed: the real training loop (`systems.effects.training.
  train_effect` on a procedural exemplar for a few iterations, its own seconds per
  iteration: rollouts of 32..64 steps of batch 4, the texture loss, backward and
  Adam), or, without that module, a forward + backward pass of a 48-step rollout of
  batch 4 at 64^2 through the torch model (the dominant cost of an iteration).
- `largest_size_60fps`: the largest of 64, 96, 128, 192, 256, 384, 512, ... whose
  GLSL step fits 16.7 ms (one step per frame at 60 fps); `glsl_step_ms_by_size`
  holds the sizes measured on the way.
- `renderer`: the GL renderer string; `layout`: the MLP layout of the shader;
  `load_average`: the machine's 1-minute load when the bench ended. llvmpipe
  shades on every core, so another busy process on a 2-core machine can double
  the step times (64^2 is one 64x64 tile, shaded by one thread, and suffers least).

The weights are the torch model's initialisation with a non-zero second layer
(the cost does not depend on the values: every weight is a baked constant).

`python -m systems.effects.effect_bench [size]` prints the result as JSON.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time

import numpy as np

from engine.render.gl_context import create_headless_context

FRAME_BUDGET_MS = 1000.0 / 60.0
SCAN_SIZES = (64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048)
WARM_UP_STEPS = 3


def bench_effects(size: int = 128, steps: int = 60, seed: int = 0) -> dict:
    import torch

    from engine.render.effect_runner import EffectRunner, torch_model
    from systems.effects.glsl_export import DEFAULT_LAYOUT

    weights, config = bench_weights(seed)
    ctx = create_headless_context()
    try:
        runner = EffectRunner(ctx, weights, config, size, seed=seed)
        try:
            rng = np.random.default_rng(seed)
            state = (rng.standard_normal((runner.channels, size, size)) * 0.5).astype(np.float32)
            runner.write_state(state)
            runner.step(1)  # step index 0 with the runner's seed
            glsl = runner.read_state()
            model = torch_model(weights, config)
            with torch.no_grad():
                reference = model.step(torch.from_numpy(state)[None], 0, seed)[0].numpy()
            max_abs_diff = float(np.abs(glsl - reference).max())
            glsl_ms = _glsl_step_ms(ctx, runner, steps)
        finally:
            runner.release()
        torch_ms = _torch_step_ms(model, size, seed)
        by_size, largest = _scan_sizes(ctx, weights, config, seed, known={size: glsl_ms})
        renderer = ctx.info.get("GL_RENDERER", "unknown")
    finally:
        ctx.release()
    train_s, train_source = train_iter_seconds()
    return {
        "size": int(size),
        "glsl_step_ms": round(glsl_ms, 3),
        "torch_step_ms": round(torch_ms, 3),
        "max_abs_diff": max_abs_diff,
        "train_iter_s": round(train_s, 3),
        "train_iter_source": train_source,
        "largest_size_60fps": largest,
        "glsl_step_ms_by_size": {str(k): round(v, 3) for k, v in sorted(by_size.items())},
        "renderer": renderer,
        "layout": DEFAULT_LAYOUT,
        "load_average": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
    }


def bench_weights(seed: int = 0) -> tuple[dict, object]:
    """The torch model's initial weights with w2 ~ N(0, 0.05) instead of zeros (a
    zero second layer would make every step the identity)."""
    import torch

    from systems.effects.nca_model import NCA, NCAConfig

    generator = torch.Generator().manual_seed(seed)
    config = NCAConfig()
    model = NCA(config, generator=generator)
    with torch.no_grad():
        model.w2.copy_(torch.randn(model.w2.shape, generator=generator) * 0.05)
    return {name: getattr(model, name).detach().numpy().copy() for name in ("w1", "b1", "w2")}, config


def _glsl_step_ms(ctx, runner, steps: int) -> float:
    runner.step(WARM_UP_STEPS)
    ctx.finish()
    times = []
    for _ in range(steps):
        started = time.perf_counter()
        runner.step(1)
        ctx.finish()
        times.append((time.perf_counter() - started) * 1000.0)
    return statistics.median(times)


def _torch_step_ms(model, size: int, seed: int, repeats: int = 7) -> float:
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        x = torch.randn(1, model.channels, size, size, generator=torch.Generator().manual_seed(seed)) * 0.5
        times = []
        with torch.no_grad():
            for i in range(repeats + 1):
                started = time.perf_counter()
                x = model.step(x, i, seed)
                times.append((time.perf_counter() - started) * 1000.0)
        return statistics.median(times[1:])
    finally:
        torch.set_num_threads(threads)


def _scan_sizes(ctx, weights, config, seed: int, known: dict[int, float]) -> tuple[dict[int, float], int | None]:
    """Step time at growing sizes until one misses the 60 fps frame budget."""
    from engine.render.effect_runner import EffectRunner

    measured: dict[int, float] = {}
    largest = None
    for size in SCAN_SIZES:
        if size in known:
            ms = known[size]
        else:
            runner = EffectRunner(ctx, weights, config, size, seed=seed)
            try:
                runner.write_state(np.random.default_rng(seed).standard_normal((runner.channels, size, size)) * 0.5)
                ms = _glsl_step_ms(ctx, runner, steps=max(5, min(30, int(30 * (128 / size) ** 2))))
            finally:
                runner.release()
        measured[size] = ms
        if ms > FRAME_BUDGET_MS:
            break
        largest = size
    return measured, largest


def train_iter_seconds(iterations: int = 3) -> tuple[float, str]:
    """(seconds per training iteration at 64^2, how it was timed).

    The real loop when `systems.effects.training` is there: `train_effect` on the
    procedural fire exemplar for a few iterations into a temporary folder, its own
    `seconds_per_iteration` (the iterations only, at its default thread count).
    Otherwise a forward + backward pass of a 48-step rollout of batch 4 at 64^2."""
    try:
        from systems.effects.training import train_effect
    except ImportError:
        train_effect = None
    if train_effect is not None:
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory(prefix="moviola-effect-bench-") as folder:
            summary = train_effect(
                "procedural:fire", Path(folder) / "bench.pt", iters=iterations, size=64, progress=False
            )
        seconds = summary.get("seconds_per_iteration")
        if seconds:
            threads = summary.get("threads")
            return float(seconds), (
                f"systems.effects.training.train_effect: procedural:fire, 64^2, {iterations} iterations, "
                f"{threads} thread(s)"
            )
    return _rollout_iter_seconds(iterations), "torch rollout: 48 steps, batch 4, 64^2, forward + backward"


def _rollout_iter_seconds(iterations: int, steps: int = 48, batch: int = 4, size: int = 64) -> float:
    import torch

    from systems.effects.nca_model import NCA, NCAConfig

    model = NCA(NCAConfig(), generator=torch.Generator().manual_seed(0))
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    times = []
    for i in range(iterations + 1):  # the first one warms up allocations
        started = time.perf_counter()
        x = model.seed_state(batch, size)
        x = model(x, steps)
        loss = (model.rgb(x) - 0.5).square().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        times.append(time.perf_counter() - started)
    return statistics.median(times[1:])


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    size = int(argv[0]) if argv else 128
    print(json.dumps(bench_effects(size)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
