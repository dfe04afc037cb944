"""Learned effects: a trained neural cellular automaton drawn into a material channel."""

from engine.component import F32, F64, I32, U32, Vec3, component

BASE_COLOR, EMISSIVE = 0, 1


@component
class LearnedEffect:
    """The entity's model shows `EffectLibrary[effect]` in its base colour or emissive channel.

    The automaton runs `warmup` steps before `start` and then `speed` steps per second of
    scene time, so a frame's pattern is a pure function of scene time."""

    effect: I32 = -1
    channel: I32 = EMISSIVE  # BASE_COLOR | EMISSIVE
    size: I32 = 128  # simulation grid, cells per side
    seed: U32 = 0
    speed: F32 = 30.0  # steps per second
    warmup: I32 = 64  # steps already taken at `start`
    start: F64 = 0.0
    scale: F32 = 1.0  # pattern repeats per UV unit
    brightness: F32 = 1.0
    tint: Vec3 = (1.0, 1.0, 1.0)
    wrap: I32 = 1  # 1: toroidal grid (tiles seamlessly), 0: clamped borders
