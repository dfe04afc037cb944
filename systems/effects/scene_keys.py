"""Scene-file key of the effects domain: a learned effect in a model's material.

    [[entity]]
    name = "portal"
    shape = { kind = "plane", size = [2, 0, 3] }
    [entity.learned_effect]
    effect = "../assets/effects/energy.pt"   # a checkpoint written by `main.py train effect`
    channel = "emissive"                     # emissive | base_color
    brightness = 2.0                         # HDR multiplier (emissive glows through the tonemap)
    tint = [1, 1, 1]                         # palette: multiplies the learned colours
    scale = 1.0                              # pattern repeats per UV unit
    speed = 30.0                             # automaton steps per second of scene time
    seed = 7                                 # a different seed, a different (equally good) pattern
    size = 128                               # simulation grid, cells per side (16..1024)
    warmup = 64                              # steps already taken at `start`, so it is formed at once
    start = 0.0                              # scene time (s)
    borders = "wrap"                         # wrap (tiles seamlessly) | clamp
"""

from __future__ import annotations

from components.effects import BASE_COLOR, EMISSIVE, LearnedEffect
from engine.errors import InputError
from engine.scene_schema import SceneComponentType, choice, color, integer, number, string


def _apply_learned_effect(loader, build, v, ctx):
    from systems.effects.library import EffectLibrary

    if build.model is None:
        raise ctx.fail("learned_effect", "needs a model or shape on the same entity (write it first)")
    path = loader.resolve_asset(v["effect"], ctx, "learned_effect.effect")
    try:
        handle = loader.world.resource(EffectLibrary).load(path)
    except InputError as error:
        raise ctx.fail("learned_effect.effect", str(error)) from None
    build.components.append(LearnedEffect(
        effect=handle, channel=BASE_COLOR if v["channel"] == "base_color" else EMISSIVE, size=v["size"],
        seed=v["seed"], speed=v["speed"], warmup=v["warmup"], start=v["start"], scale=v["scale"],
        brightness=v["brightness"], tint=v["tint"][:3], wrap=int(v["borders"] == "wrap"),
    ))


EFFECT_SCENE_COMPONENTS = [
    SceneComponentType("learned_effect", {
        "effect": string(required=True), "channel": choice("emissive", "base_color", default="emissive"),
        "brightness": number(1.0, minimum=0), "tint": color([1.0, 1.0, 1.0]), "scale": number(1.0, positive=True),
        "speed": number(30.0, minimum=0, maximum=1000), "seed": integer(0, minimum=0, maximum=2**32 - 1),
        "size": integer(128, minimum=16, maximum=1024), "warmup": integer(64, minimum=0, maximum=100_000),
        "start": number(0.0), "borders": choice("wrap", "clamp", default="wrap"),
    }, _apply_learned_effect),
]
