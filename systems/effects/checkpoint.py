"""Learned-effect checkpoints (`.pt`), as specified in `systems/effects/SPEC.md`.

A dict written with `torch.save` and read with `torch.load(weights_only=True)`: `format = "moviola-nca"`,
`version = 1`, `channels`, `hidden`, `fire_rate`, `w1` (HIDDEN, 4C), `b1` (HIDDEN,), `w2` (C, HIDDEN) float32
tensors, `seed`, `size`, `exemplar`, `iterations`, `loss_history`, plus optional training state (`optimizer`,
`pool`, `rng_state`, ...) that only training reads. Anything else - an unreadable or corrupt file, another
format, wrong shapes, dtypes or non-finite weights - is an `InputError` one-liner naming the file.

Writes are atomic (a temporary file in the same folder, then a rename), so a crash never leaves half a checkpoint.
"""

from __future__ import annotations

import math
import os
import tempfile

import torch

from engine.errors import InputError
from systems.effects.nca_model import NCA, NCAConfig

FORMAT = "moviola-nca"
VERSION = 1
WEIGHT_KEYS = ("w1", "b1", "w2")
TRAINING_KEYS = ("optimizer", "pool", "rng_state")


def _fail(path, message: str):
    raise InputError(path, " ".join(str(message).split()))  # always one line


def _check_int(path, data: dict, key: str, low: int | None = None, high: int | None = None) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        _fail(path, f"not a valid effect checkpoint: '{key}' must be an integer, got {type(value).__name__}")
    if (low is not None and value < low) or (high is not None and value > high):
        _fail(path, f"not a valid effect checkpoint: '{key}' = {value} is out of range [{low}, {high}]")
    return value


def _check_tensor(path, data: dict, key: str, shape: tuple[int, ...]) -> torch.Tensor:
    value = data.get(key)
    if not isinstance(value, torch.Tensor):
        _fail(path, f"not a valid effect checkpoint: '{key}' must be a tensor, got {type(value).__name__}")
    if value.dtype != torch.float32:
        _fail(path, f"not a valid effect checkpoint: '{key}' must be float32, got {value.dtype}")
    if tuple(value.shape) != tuple(shape):
        _fail(path, f"mismatched shapes: '{key}' is {tuple(value.shape)}, expected {tuple(shape)} "
                    f"for channels={data.get('channels')} hidden={data.get('hidden')}")
    if not bool(torch.isfinite(value).all()):
        _fail(path, f"not a valid effect checkpoint: '{key}' has non-finite values")
    return value


def read_checkpoint(path: str | os.PathLike) -> dict:
    """The validated checkpoint dict (weights and metadata checked; training state passed through as is)."""
    path = os.fspath(path)
    if not os.path.exists(path):
        _fail(path, "no such effect checkpoint")
    if os.path.isdir(path):
        _fail(path, "is a folder, not an effect checkpoint")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except OSError as error:
        _fail(path, f"cannot read the effect checkpoint ({error.strerror or type(error).__name__})")
    except Exception:  # corrupt, truncated, not a torch file, or objects that weights_only refuses
        _fail(path, "not a Moviola effect checkpoint (corrupt, truncated or not a torch weights file)")
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        found = data.get("format") if isinstance(data, dict) else type(data).__name__
        _fail(path, f"not a Moviola effect checkpoint (format {found!r}, expected {FORMAT!r})")
    if data.get("version") != VERSION:
        _fail(path, f"unsupported effect checkpoint version {data.get('version')!r} (this build reads {VERSION})")
    channels = _check_int(path, data, "channels", 12, 16)
    hidden = _check_int(path, data, "hidden", 1, 4096)
    fire_rate = data.get("fire_rate")
    if isinstance(fire_rate, bool) or not isinstance(fire_rate, (int, float)) or not (0.0 < fire_rate <= 1.0) \
            or not math.isfinite(fire_rate):
        _fail(path, f"not a valid effect checkpoint: 'fire_rate' must be a number in (0, 1], got {fire_rate!r}")
    _check_tensor(path, data, "w1", (hidden, 4 * channels))
    _check_tensor(path, data, "b1", (hidden,))
    _check_tensor(path, data, "w2", (channels, hidden))
    _check_int(path, data, "seed")
    _check_int(path, data, "size", 1, 65536)
    _check_int(path, data, "iterations", 0)
    if not isinstance(data.get("exemplar"), str):
        _fail(path, "not a valid effect checkpoint: 'exemplar' must be a string")
    history = data.get("loss_history")
    if not isinstance(history, list) or not all(isinstance(v, (int, float)) for v in history):
        _fail(path, "not a valid effect checkpoint: 'loss_history' must be a list of numbers")
    return data


def load_effect(path: str | os.PathLike) -> tuple[NCAConfig, dict[str, torch.Tensor], dict]:
    """(config, {"w1", "b1", "w2"} float32 tensors, metadata) of a checkpoint; metadata is every other key except
    the training state."""
    data = read_checkpoint(path)
    config = NCAConfig(channels=data["channels"], hidden=data["hidden"], fire_rate=float(data["fire_rate"]))
    weights = {key: data[key] for key in WEIGHT_KEYS}
    meta = {k: v for k, v in data.items() if k not in WEIGHT_KEYS and k not in TRAINING_KEYS}
    return config, weights, meta


def load_nca(path: str | os.PathLike) -> NCA:
    """The checkpoint's model, in eval mode, with exactly the stored weights."""
    config, weights, _ = load_effect(path)
    model = NCA(config)
    with torch.no_grad():
        for key, value in weights.items():
            getattr(model, key).copy_(value)
    return model.eval()


def checkpoint_dict(model: NCA, *, seed: int, size: int, exemplar: str, iterations: int,
                    loss_history: list[float], extra: dict | None = None) -> dict:
    """The SPEC's dict for `model` (weights copied), plus `extra` keys (training state, provenance)."""
    config = model.config
    data = {"format": FORMAT, "version": VERSION, "channels": int(config.channels), "hidden": int(config.hidden),
            "fire_rate": float(config.fire_rate)}
    for key in WEIGHT_KEYS:
        data[key] = getattr(model, key).detach().to("cpu", torch.float32).clone().contiguous()
    data.update(seed=int(seed), size=int(size), exemplar=str(exemplar), iterations=int(iterations),
                loss_history=[float(v) for v in loss_history])
    if extra:
        data.update(extra)
    return data


def write_checkpoint(path: str | os.PathLike, data: dict) -> str:
    """torch.save `data` to `path` atomically (temporary file + rename); creates the folder. Returns the path."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(folder, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=folder)
    except OSError as error:
        _fail(path, f"cannot write the effect checkpoint ({error.strerror or error})")
    try:
        with os.fdopen(handle, "wb") as stream:
            torch.save(data, stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)  # mkstemp makes it private; a checkpoint is an ordinary asset file
        os.replace(temporary, path)
    except BaseException as error:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        if isinstance(error, OSError):
            _fail(path, f"cannot write the effect checkpoint ({error.strerror or error})")
        raise
    return path


def save_effect(path: str | os.PathLike, model: NCA, *, seed: int, size: int, exemplar: str, iterations: int = 0,
                loss_history: list[float] | None = None, extra: dict | None = None) -> str:
    """Write `model` as a checkpoint (atomic)."""
    return write_checkpoint(path, checkpoint_dict(model, seed=seed, size=size, exemplar=exemplar,
                                                  iterations=iterations, loss_history=loss_history or [],
                                                  extra=extra))
