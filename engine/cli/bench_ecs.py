"""`main.py bench ecs`: the engine's query path against raw numpy on the same arrays."""

from __future__ import annotations

import time

import numpy as np

from components.motion import Velocity
from components.transform import GlobalTransform, Transform
from engine.app import App
from engine.schedule import Phase
from systems.transforms.plugin import transforms_plugin


def _median_ms(fn, repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return float(np.median(samples) * 1000.0)


def bench_ecs(entities: int = 100_000, repeats: int = 200) -> dict:
    app = App()
    app.add_plugin(transforms_plugin)
    rng = np.random.default_rng(7)
    app.world.spawn_batch(entities, [Transform, GlobalTransform, Velocity],
                          **{"Velocity.linear": rng.normal(size=(entities, 3)).astype(np.float32)})
    table = app.world.tables[0]
    translation = table.column(Transform.translation)
    velocity = table.column(Velocity.linear)
    dt = app.clock.fixed_dt

    def engine_step():
        app.schedule.run_phase(Phase.SIMULATE, app.world, app.commands)

    def numpy_step():
        translation[...] += velocity * dt

    # interleave warm-up, then alternate the two so both see the same machine state
    engine_step(), numpy_step()
    system_samples, numpy_samples = [], []
    for _ in range(5):
        system_samples.append(_median_ms(engine_step, repeats // 5))
        numpy_samples.append(_median_ms(numpy_step, repeats // 5))
    system_ms, numpy_ms = float(np.median(system_samples)), float(np.median(numpy_samples))
    return {"entities": entities, "system_ms": round(system_ms, 4), "numpy_ms": round(numpy_ms, 4),
            "ratio": round(system_ms / numpy_ms, 3)}
