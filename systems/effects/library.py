"""EffectLibrary: trained effects loaded once per file, referenced by handle from LearnedEffect."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class LoadedEffect:
    path: str
    config: object  # systems.effects.nca_model.NCAConfig
    weights: dict  # w1, b1, w2 as float32 numpy arrays (systems/effects/SPEC.md)
    meta: dict


class EffectLibrary:
    def __init__(self):
        self.effects: list[LoadedEffect] = []
        self._by_path: dict[str, int] = {}

    def load(self, path: str | os.PathLike) -> int:
        from systems.effects.checkpoint import load_effect

        key = os.path.realpath(os.fspath(path))
        if key not in self._by_path:
            config, weights, meta = load_effect(path)
            plain = {name: _numpy(value) for name, value in weights.items()}
            self.effects.append(LoadedEffect(os.fspath(path), config, plain, meta))
            self._by_path[key] = len(self.effects) - 1
        return self._by_path[key]

    def __getitem__(self, handle: int) -> LoadedEffect:
        return self.effects[handle]


def _numpy(value):
    detach = getattr(value, "detach", None)
    return detach().cpu().numpy() if detach is not None else value
