"""Extract: entities showing a learned effect -> their own draw batches plus the effect states to run."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from components.effects import BASE_COLOR, LearnedEffect
from components.model import ModelInstance
from components.transform import GlobalTransform
from engine.assets.library import AssetLibrary
from engine.clock import Clock
from engine.query import Query, Read
from engine.render.frame import EffectState, EffectUse
from engine.schedule import Res, ResMut
from systems.animation.pose_pool import PosePool
from systems.effects.library import EffectLibrary
from systems.rendering.extract_frame import ExtractedFrame, batches_of


def effect_steps(time: float, start: float, speed: float, warmup: int) -> int:
    """Automaton steps taken by scene time `time`: a pure function of time, so frames render alike in any order."""
    return int(warmup) + max(0, math.floor((time - start) * speed + 1e-9))


def extract_learned_effects(
    instances: Query[Read[ModelInstance], Read[GlobalTransform], Read[LearnedEffect]],
    effects: Res[EffectLibrary],
    library: Res[AssetLibrary],
    pool: Res[PosePool],
    clock: Res[Clock],
    out: ResMut[ExtractedFrame],
):
    """A handful of entities: one set of batches each (their material channel differs from their siblings')."""
    if out.frame is None or instances.count() == 0:
        return
    states: dict[tuple, EffectState] = {}
    for view in instances:
        for row in range(len(view.entities)):
            if not view[ModelInstance.visible][row]:
                continue
            handle = int(view[LearnedEffect.effect][row])
            size, seed = int(view[LearnedEffect.size][row]), int(view[LearnedEffect.seed][row])
            wrap = bool(view[LearnedEffect.wrap][row])
            key = (handle, size, seed, wrap, float(view[LearnedEffect.start][row]),
                   float(view[LearnedEffect.speed][row]), int(view[LearnedEffect.warmup][row]))
            if key not in states:
                loaded = effects[handle]
                steps = effect_steps(clock.time, key[4], key[5], key[6])
                states[key] = EffectState(key, loaded.weights, loaded.config, size, seed, wrap, steps)
            brightness = float(view[LearnedEffect.brightness][row])
            use = EffectUse(
                key, "base_color" if view[LearnedEffect.channel][row] == BASE_COLOR else "emissive",
                float(view[LearnedEffect.scale][row]),
                tuple(float(c) * brightness for c in view[LearnedEffect.tint][row]),
            )
            picked = slice(row, row + 1)
            batches = batches_of(
                view[ModelInstance.model][picked], view[ModelInstance.pose_offset][picked],
                view[ModelInstance.weight_offset][picked], np.ascontiguousarray(view[GlobalTransform.matrix][picked]),
                view[ModelInstance.tint][picked], view[ModelInstance.cast_shadows][picked], library, pool,
            )  # fmt: skip
            out.frame.batches.extend(dataclasses.replace(batch, effect=use) for batch in batches)
    out.frame.effects.extend(states.values())
