"""Training a neural cellular automaton texture (`systems/effects/SPEC.md`) on one exemplar image.

    train_effect("photo.jpg" | "procedural:fire", "assets/effects/fire.pt", minutes=10)

The recipe follows "Self-Organising Textures" (Distill 2021) and muNCA, with a loss that needs no pretrained
network (`texture_loss.TextureLoss`: sliced Wasserstein distances between multi-scale patch distributions, plus
colour statistics):

* a pool of `pool_size` states (all seed states at first); every iteration takes `batch` of them, replaces one
  with a fresh seed state every `seed_every` iterations, runs a random number of steps (`rollout`, inclusive) with
  random (torch.rand) firing masks and wrapped borders, and writes the results back;
* loss = texture loss of `rgb = state[0:3] + 0.5` against the exemplar (fresh random projections every
  iteration) + an overflow penalty `sum |x - clamp(x, -1, 1)|` per state that keeps states bounded; a state that
  overflowed by more than `reseed_overflow` goes back to the pool as a seed state. `loss_history` (and the
  progress bar) record the texture loss, the project's metric with that iteration's projections;
* Adam, each parameter's gradient normalised to unit norm, learning rate `lr` decayed by `lr_decay` at 50 % and
  again at 80 % of the run (by iterations, or by time with `minutes`);
* everything random comes from generators seeded with `seed`, so the same arguments give the same weights
  (for a run bounded by iterations; a time-bounded run stops after however many iterations fit);
* checkpoints every `checkpoint_every` iterations or `checkpoint_seconds` seconds and at the end, atomically: the
  effect itself at `out` (weights and what they were trained on, about 25 KB) and, beside it at `out.state`, the
  optimizer, pool and generator states: running the same command again resumes (a run bounded by minutes counts
  the time already spent), unless `resume=False`;
* `NAME.preview.png` beside the checkpoint: the exemplar, then the texture grown from a seed state (hash masks,
  the SPEC's `NCA.step(x, step, seed)`) after 32, 64, 128 and 256 steps, at twice the training size.

The exemplar is centre-cropped to a square and resized to `2 * size` pixels (so its patches are compared at the
pixel scale of the NCA grid); `procedural:NAME` uses `exemplars.make_exemplar(NAME, 2 * size)`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import os
import sys
import tempfile
import time
from dataclasses import dataclass

import numpy as np
import torch

from engine.errors import InputError
from systems.effects import checkpoint as ckpt
from systems.effects.exemplars import NAMES, make_exemplar
from systems.effects.nca_model import NCA, NCAConfig
from systems.effects.texture_loss import TextureLoss

PROCEDURAL = "procedural:"


@dataclass(frozen=True)
class TrainSettings:
    """Hyperparameters. Everything here except the checkpoint cadence must match for a checkpoint to resume."""

    channels: int = 12
    hidden: int = 96
    fire_rate: float = 0.5
    pool_size: int = 128
    batch: int = 1
    rollout: tuple[int, int] = (32, 64)
    seed_every: int = 16
    lr: float = 2e-3
    lr_decay: float = 0.3
    overflow_weight: float = 1.0
    reseed_overflow: float = 0.0
    projections: int = 64
    patch: int = 3
    scales: int = 4
    preview_steps: tuple[int, ...] = (32, 64, 128, 256)
    checkpoint_every: int = 100
    checkpoint_seconds: float = 60.0

    def matching(self) -> dict:
        d = dataclasses.asdict(self)
        for key in ("preview_steps", "checkpoint_every", "checkpoint_seconds"):
            d.pop(key)
        d["rollout"] = list(d["rollout"])
        return d


# ---------------------------------------------------------------------------------------------------------------
# exemplars


def load_exemplar(spec: str | os.PathLike, px: int) -> tuple[np.ndarray, str]:
    """(px, px, 3) uint8 exemplar and its canonical name (absolute path, or `procedural:NAME`)."""
    spec = os.fspath(spec)
    if spec.startswith(PROCEDURAL):
        name = spec[len(PROCEDURAL):]
        if name not in NAMES:
            raise InputError(spec, f"unknown procedural exemplar {name!r} (known: {', '.join(NAMES)})")
        return make_exemplar(name, px, 0), spec
    from PIL import Image, UnidentifiedImageError

    path = os.path.abspath(spec)
    if not os.path.isfile(path):
        raise InputError(spec, "cannot read the exemplar image (no such file)")
    try:
        with Image.open(path) as image:
            image.load()
            rgb = image.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
        reason = " ".join(str(error).split())[:100] or type(error).__name__
        raise InputError(spec, f"cannot read the exemplar image ({reason})") from None
    width, height = rgb.size
    if min(width, height) < 16:
        raise InputError(spec, f"exemplar image is too small ({width}x{height}, needs at least 16x16)")
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    square = rgb.crop((left, top, left + side, top + side))
    resample = Image.Resampling.LANCZOS if side >= px else Image.Resampling.BICUBIC
    return np.asarray(square.resize((px, px), resample), dtype=np.uint8).copy(), path


# ---------------------------------------------------------------------------------------------------------------
# previews


def preview_strip(model: NCA, exemplar: np.ndarray, size: int, seed: int, steps: tuple[int, ...],
                  gap: int = 4) -> np.ndarray:
    """(H, W, 3) uint8: the exemplar, then the texture after each of `steps` hash-masked steps from a seed
    state on a `size` grid (wrapped)."""
    panels = [np.asarray(exemplar, dtype=np.uint8)]
    with torch.no_grad():
        x = model.seed_state(1, size)
        done = 0
        for target in sorted(steps):
            x = model.forward(x, target - done, start_step=done, seed=seed)
            done = target
            panels.append(_to_uint8(model.rgb(x)[0]))
    height = max(p.shape[0] for p in panels)
    out = []
    for i, panel in enumerate(panels):
        if panel.shape[0] < height:
            panel = np.pad(panel, ((0, height - panel.shape[0]), (0, 0), (0, 0)), constant_values=32)
        if i:
            out.append(np.full((height, gap, 3), 32, dtype=np.uint8))
        out.append(panel)
    return np.concatenate(out, axis=1)


def _to_uint8(rgb: torch.Tensor) -> np.ndarray:
    return (rgb.clamp(0, 1).permute(1, 2, 0).numpy() * 255.0 + 0.5).astype(np.uint8)


def training_state_path(out: str | os.PathLike) -> str:
    """Where the resumable training state of the effect `out` is kept (`NAME.pt.state`)."""
    return os.fspath(out) + ".state"


def preview_path(out: str | os.PathLike) -> str:
    return os.path.splitext(os.fspath(out))[0] + ".preview.png"


def _write_png(path: str, image: np.ndarray) -> None:
    from PIL import Image

    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(prefix=".", suffix=".png", dir=folder)
    os.close(handle)
    try:
        Image.fromarray(image).save(temporary, format="PNG")
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


# ---------------------------------------------------------------------------------------------------------------
# training


def _lr_at(settings: TrainSettings, progress: float) -> float:
    return settings.lr * settings.lr_decay ** ((progress >= 0.5) + (progress >= 0.8))


def _progress(iterations: int, elapsed: float, iters: int | None, minutes: float | None) -> float:
    fractions = []
    if iters:
        fractions.append(iterations / iters)
    if minutes:
        fractions.append(elapsed / (minutes * 60.0))
    return min(1.0, max(fractions))


def _digest(exemplar: np.ndarray) -> str:
    return hashlib.sha1(np.ascontiguousarray(exemplar).tobytes()).hexdigest()


class _Bar:
    """tqdm progress: iterations (with a budget of iterations) or seconds (with a budget of minutes), showing the
    loss (median of the last 20 iterations), iterations/s and the ETA."""

    def __init__(self, enabled: bool, iters: int | None, minutes: float | None, done: int, elapsed: float):
        self.bar = None
        self.by_time = not iters
        if not enabled:
            return
        from tqdm import tqdm

        if self.by_time:
            total = float(minutes) * 60.0
            self.bar = tqdm(total=total, initial=min(elapsed, total), unit="s", dynamic_ncols=True, file=sys.stderr,
                            desc="train effect", bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total:.0f}s "
                                                            "[{elapsed}<{remaining}{postfix}]")
        else:
            self.bar = tqdm(total=iters, initial=done, unit="it", dynamic_ncols=True, file=sys.stderr,
                            desc="train effect")
        self.last = elapsed

    def update(self, iterations: int, elapsed: float, loss: float, rate: float) -> None:
        if self.bar is None:
            return
        if self.by_time:
            self.bar.update(min(elapsed, self.bar.total) - self.bar.n)
            self.bar.set_postfix_str(f"iter {iterations}, loss {loss:.4f}, {rate:.2f} it/s", refresh=False)
        else:
            self.bar.update(iterations - self.bar.n)
            self.bar.set_postfix_str(f"loss {loss:.4f}", refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def train_effect(exemplar: str | os.PathLike, out: str | os.PathLike, *, minutes: float | None = None,
                 iters: int | None = None, size: int = 64, seed: int = 0, threads: int = 1, resume: bool = True,
                 progress: bool = True, settings: TrainSettings | None = None) -> dict:
    """Train (or resume training) an NCA texture on `exemplar` (an image path or `procedural:NAME`) into `out`.

    Stops after `iters` iterations in all, or `minutes` of training in all, whichever comes first (10 minutes if
    neither is given). Returns a summary: iterations, seconds, seconds per iteration, final loss, paths."""
    settings = settings or TrainSettings()
    out = os.fspath(out)
    if iters is None and minutes is None:
        minutes = 10.0
    if iters is not None and int(iters) <= 0 or minutes is not None and not float(minutes) > 0:
        raise InputError(None, "--iters and --minutes must be > 0")
    if not 8 <= int(size) <= 1024:
        raise InputError(None, f"--size must be 8..1024, got {size}")
    size, seed = int(size), int(seed)
    exemplar_image, exemplar_name = load_exemplar(exemplar, 2 * size)
    folder = os.path.dirname(os.path.abspath(out))
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as error:
        raise InputError(out, f"cannot create the output folder ({error.strerror or error})") from None
    if not os.access(folder, os.W_OK) or os.path.isdir(out):
        raise InputError(out, "cannot write the effect checkpoint here")

    previous_threads = torch.get_num_threads()
    torch.set_num_threads(max(1, int(threads)))
    try:
        return _train(exemplar_image, exemplar_name, out, minutes=minutes, iters=iters, size=size, seed=seed,
                      resume=resume, progress=progress, settings=settings)
    finally:
        torch.set_num_threads(previous_threads)


def _train(exemplar: np.ndarray, exemplar_name: str, out: str, *, minutes, iters, size, seed, resume, progress,
           settings: TrainSettings) -> dict:
    config = NCAConfig(settings.channels, settings.hidden, settings.fire_rate)
    digest = _digest(exemplar)
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed & 0xFFFFFFFFFFFFFFFF)
    model = NCA(config, generator=generator)
    optimizer = torch.optim.Adam(model.parameters(), lr=settings.lr)
    pool = model.seed_state(settings.pool_size, size)
    iterations, elapsed, history = 0, 0.0, []

    state_path = training_state_path(out)
    if resume and (os.path.exists(state_path) or os.path.exists(out)):
        data = ckpt.read_checkpoint(state_path if os.path.exists(state_path) else out)
        mismatches = _mismatches(data, settings, size, seed, digest)
        if mismatches:
            raise InputError(out, f"exists and was trained differently ({'; '.join(mismatches)}); "
                                  "pass --fresh to start over")
        if not all(key in data for key in ckpt.TRAINING_KEYS):
            raise InputError(out, "has no training state to resume from; pass --fresh to start over")
        try:
            with torch.no_grad():
                for key in ckpt.WEIGHT_KEYS:
                    getattr(model, key).copy_(data[key])
            optimizer.load_state_dict(data["optimizer"])
            if tuple(data["pool"].shape) != tuple(pool.shape) or data["pool"].dtype != torch.float32:
                raise ValueError(f"pool is {tuple(data['pool'].shape)}, expected {tuple(pool.shape)}")
            pool = data["pool"].clone()
            generator.set_state(data["rng_state"]["torch"])
            rng.bit_generator.state = data["rng_state"]["numpy"]
        except (KeyError, TypeError, ValueError, RuntimeError) as error:
            reason = " ".join(str(error).split())[:100]
            raise InputError(out, f"has a damaged training state ({reason}); pass --fresh to start over") from None
        iterations, elapsed = int(data["iterations"]), float(data.get("elapsed_s", 0.0))
        history = [float(v) for v in data["loss_history"]]

    loss_fn = TextureLoss(exemplar, patch=settings.patch, scales=settings.scales, projections=settings.projections)
    state = {"iterations": iterations, "elapsed": elapsed, "history": history}

    def save() -> None:
        extra = {"elapsed_s": float(state["elapsed"]), "exemplar_digest": digest, "exemplar_px": int(exemplar.shape[0]),
                 "settings": settings.matching(), "optimizer": optimizer.state_dict(), "pool": pool,
                 "rng_state": {"torch": generator.get_state(), "numpy": rng.bit_generator.state}}
        # The resumable state (optimizer, pool: tens of MB) goes beside the effect, which stays small enough
        # to ship: the runtime needs only the weights and what they were trained on.
        ckpt.save_effect(state_path, model, seed=seed, size=size, exemplar=exemplar_name,
                         iterations=state["iterations"], loss_history=state["history"], extra=extra)
        shipped = {key: value for key, value in extra.items() if key not in ckpt.TRAINING_KEYS}
        ckpt.save_effect(out, model, seed=seed, size=size, exemplar=exemplar_name,
                         iterations=state["iterations"], loss_history=state["history"], extra=shipped)

    def finished() -> bool:
        return (iters is not None and state["iterations"] >= iters) or \
               (minutes is not None and state["elapsed"] >= minutes * 60.0)

    bar = _Bar(progress, iters, minutes, iterations, elapsed)
    start_iterations, run_seconds = iterations, 0.0
    last_save_it, last_save_time = iterations, time.perf_counter()
    try:
        while not finished():
            t0 = time.perf_counter()
            lr = _lr_at(settings, _progress(state["iterations"], state["elapsed"], iters, minutes))
            loss_value = _iteration(model, optimizer, pool, loss_fn, generator, rng, settings, state["iterations"],
                                    size, lr)
            state["iterations"] += 1
            state["history"].append(loss_value)
            spent = time.perf_counter() - t0
            state["elapsed"] += spent
            run_seconds += spent
            rate = (state["iterations"] - start_iterations) / max(run_seconds, 1e-9)
            bar.update(state["iterations"], state["elapsed"], float(np.median(state["history"][-20:])), rate)
            now = time.perf_counter()
            if not finished() and (state["iterations"] - last_save_it >= settings.checkpoint_every
                                   or now - last_save_time >= settings.checkpoint_seconds):
                save()
                last_save_it, last_save_time = state["iterations"], time.perf_counter()
    except KeyboardInterrupt:
        bar.close()
        if state["iterations"] > start_iterations:
            save()  # keep what was learned; the same command resumes
        raise
    bar.close()
    if state["iterations"] > start_iterations or not os.path.exists(out):
        save()

    model.eval()
    preview = preview_path(out)
    _write_png(preview, preview_strip(model, exemplar, 2 * size, seed, settings.preview_steps))
    trained = state["iterations"] - start_iterations
    return {"out": out, "preview": preview, "exemplar": exemplar_name, "iterations": state["iterations"],
            "iterations_this_run": trained, "seconds": state["elapsed"], "seconds_this_run": run_seconds,
            "seconds_per_iteration": run_seconds / trained if trained else None,
            "final_loss": float(np.mean(state["history"][-20:])) if state["history"] else None,
            "threads": torch.get_num_threads()}


def _mismatches(data: dict, settings: TrainSettings, size: int, seed: int, digest: str) -> list[str]:
    found = []
    if data.get("exemplar_digest") != digest:
        found.append(f"exemplar {data.get('exemplar')!r}")
    if data.get("size") != size:
        found.append(f"size {data.get('size')} (now {size})")
    if data.get("seed") != seed:
        found.append(f"seed {data.get('seed')} (now {seed})")
    stored = data.get("settings")
    wanted = settings.matching()
    if not isinstance(stored, dict):
        found.append("no training settings")
    else:
        for key, value in wanted.items():
            if stored.get(key) != value:
                found.append(f"{key} {stored.get(key)!r} (now {value!r})")
    return found


def _iteration(model: NCA, optimizer: torch.optim.Optimizer, pool: torch.Tensor, loss_fn: TextureLoss,
               generator: torch.Generator, rng: np.random.Generator, settings: TrainSettings, iteration: int,
               size: int, lr: float) -> float:
    batch = settings.batch
    index = torch.from_numpy(rng.choice(pool.shape[0], batch, replace=False).astype(np.int64))
    x = pool.index_select(0, index)
    if iteration % settings.seed_every == 0:
        x[0] = 0.0  # a fresh seed state: the texture must grow from nothing, not only persist
    steps = int(rng.integers(settings.rollout[0], settings.rollout[1] + 1))
    for _ in range(steps):
        mask = (torch.rand(batch, 1, size, size, generator=generator) < settings.fire_rate).to(torch.float32)
        x = model.step(x, mask=mask)
    rgb = x[:, 0:3] + 0.5
    texture = loss_fn.loss(rgb, generator, wrap=True)
    overflow = (x - x.clamp(-1.0, 1.0)).abs().sum() / batch
    loss = texture + settings.overflow_weight * overflow
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            if p.grad is not None:
                p.grad.div_(p.grad.norm() + 1e-8)
    for group in optimizer.param_groups:
        group["lr"] = lr
    optimizer.step()
    with torch.no_grad():
        back = x.detach().clone()
        if settings.reseed_overflow > 0:  # states that blew up would only teach the model to fight them: reseed
            blown = (back - back.clamp(-1.0, 1.0)).abs().flatten(1).amax(dim=1) > settings.reseed_overflow
            back[blown] = 0.0
        pool.index_copy_(0, index, back)
    value = float(texture.detach())
    if not math.isfinite(float(loss.detach())):
        raise FloatingPointError(f"training diverged at iteration {iteration} (loss {float(loss.detach())})")
    return value
