"""`main.py bench particles`: the particle system against the same update in numpy, and a copy of the same bytes.

The scene is a respawning fountain of `count` particles (sphere emitter, gravity, drag, curl-noise turbulence, ground
bounce), warmed up until particles are dying and being reborn every step. `step_ms` is the engine's SIMULATE phase
(the real system and kernels); `numpy_ms` is `numpy_particle_step`, the same update vectorised in numpy, on a copy
of the same state; `copy_ms` is a numpy copy of as many bytes as the particle state holds, the floor for any pass
that reads and writes it. All three alternate in one run, so they see the same machine, and each is timed the same
way: the best call of a round, the median of five rounds.
"""

from __future__ import annotations

import math
import time

import numba
import numpy as np

from components.particles import EmitterShape, ParticleAppearance, ParticleEmitter
from components.transform import GlobalTransform, Transform
from engine.app import App
from engine.schedule import Phase
from systems.particles.bursts import ParticleBursts
from systems.particles.curl_noise import FLOW_SCALE, TILE, TILE_SIZE, WAVELENGTH_CELLS
from systems.particles.emit import RESPAWN_SALT
from systems.particles.integrate import drag_coefficients
from systems.particles.plugin import particles_plugin
from systems.particles.pool import ParticlePool

FOUNTAIN = {"shape": EmitterShape.SPHERE, "radius": 0.5, "speed_min": 2.0, "speed_max": 4.0, "spread": 30.0,
            "lifetime_min": 2.0, "lifetime_max": 4.0, "drag": 0.1, "turbulence": 2.0, "turbulence_scale": 1.0,
            "respawn": True, "restitution": 0.4, "friction": 0.2, "seed": 7}
WARM_UP_STEPS = 300  # 5 s: past the longest first lifetime, so every step respawns its share


def _best_ms(fn, repeats: int) -> float:
    """The fastest of `repeats` calls: on a shared machine other jobs only ever add time (and, with two threads on two
    cores, whole scheduler ticks while the worker thread waits for a core)."""
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return float(min(samples) * 1000.0)


# ---- the reference: the same step in vectorised numpy -------------------------------------------------------------

def _hash32(words: np.ndarray) -> np.ndarray:
    state = (words * 747796405 + 2891336453) & 0xFFFFFFFF
    mixed = (((state >> ((state >> 28) + 4)) ^ state) * 277803737) & 0xFFFFFFFF
    return (mixed >> 22) ^ mixed


def _uniform(keys: np.ndarray, draw: int) -> np.ndarray:
    return (_hash32((keys + draw * 0x9E3779B9) & 0xFFFFFFFF) >> 8).astype(np.float32) * np.float32(1.0 / (1 << 24))


def _direction_in_cone(axis: np.ndarray, cos_max, u1, u2) -> np.ndarray:
    cos_t = 1.0 - u1 * (1.0 - cos_max)
    sin_t = np.sqrt(np.maximum(0.0, 1.0 - cos_t * cos_t))
    phi = np.float32(2.0 * math.pi) * u2
    ax, ay, az = axis[:, 0], axis[:, 1], axis[:, 2]
    sign = np.copysign(1.0, az)
    a = -1.0 / (sign + az)
    c = ax * ay * a
    tangent = np.stack([1.0 + sign * ax * ax * a, sign * c, -sign * ax], axis=1)
    bitangent = np.stack([c, sign + ay * ay * a, -ay], axis=1)
    return (cos_t[:, None] * axis + (sin_t * np.cos(phi))[:, None] * tangent
            + (sin_t * np.sin(phi))[:, None] * bitangent)


def _respawn_sphere(columns, slots: np.ndarray, emitter, step: int, dt: float) -> None:
    """Rebirth at a sphere emitter, as `emit_particle` does it."""
    position, velocity, age, lifetime, size, seed = columns
    local = (slots - int(emitter["offset"])).astype(np.uint64)
    counters = (np.uint64(step) << np.uint64(32)) | local
    base = _hash32(np.uint64(emitter["seed"]) ^ RESPAWN_SALT ^ _hash32(counters >> np.uint64(32)))
    keys = _hash32(base ^ (counters & np.uint64(0xFFFFFFFF)))
    up = np.tile(np.array([0.0, 1.0, 0.0]), (len(slots), 1))
    direction = _direction_in_cone(up, -1.0, _uniform(keys, 0), _uniform(keys, 1))
    local_position = direction * (emitter["radius"] * _uniform(keys, 2).astype(np.float64) ** (1.0 / 3.0))[:, None]
    matrix = emitter["matrix"].astype(np.float64)
    world = local_position @ matrix[:3, :3] + matrix[3, :3]
    axis = direction @ matrix[:3, :3]
    axis /= np.maximum(np.linalg.norm(axis, axis=1, keepdims=True), 1e-20)
    emitted = _direction_in_cone(axis, emitter["spread_cos"], _uniform(keys, 4), _uniform(keys, 5))
    speed = emitter["speed_min"] + (emitter["speed_max"] - emitter["speed_min"]) * _uniform(keys, 6)
    motion = emitter["velocity"].astype(np.float64)
    position[slots] = world - motion * (dt * _uniform(keys, 7))[:, None]
    velocity[slots] = emitted * speed[:, None] + motion * emitter["inherit_velocity"]
    age[slots] = 0.0
    lifetime[slots] = emitter["lifetime_min"] + (emitter["lifetime_max"] - emitter["lifetime_min"]) * _uniform(keys, 8)
    size[slots] = emitter["size_min"] + (emitter["size_max"] - emitter["size_min"]) * _uniform(keys, 9)
    seed[slots] = _hash32((keys + 10 * 0x9E3779B9) & 0xFFFFFFFF)


def _curl_noise(grid: np.ndarray) -> np.ndarray:
    """`curl_noise` of (n, 3) lattice coordinates."""
    cell = np.floor(grid)
    weights = (1.0 - (grid - cell), grid - cell)  # per corner index 0 / 1, per axis
    index = cell.astype(np.int32) & (TILE_SIZE - 1)
    base = index[:, 0] * TILE_SIZE * (TILE_SIZE + 1) + index[:, 1] * TILE_SIZE + index[:, 2]
    phi, psi = {}, {}
    for dx in (0, 1):
        for dy in (0, 1):
            word = TILE[base + dx * TILE_SIZE * (TILE_SIZE + 1) + dy * TILE_SIZE]
            for dz, shift in ((0, 0), (1, 16)):  # a word holds the corner and its +z neighbour
                phi[dx, dy, dz] = ((word << shift) & 0xFF000000).view(np.int32).astype(np.float32)
                psi[dx, dy, dz] = ((word << (shift + 8)) & 0xFF000000).view(np.int32).astype(np.float32)

    def gradient(field):
        parts = []
        for axis in range(3):
            u, w = (a for a in range(3) if a != axis)
            total = 0.0
            for i in (0, 1):
                for j in (0, 1):
                    low, high = [0, 0, 0], [0, 0, 0]
                    low[u] = high[u] = i
                    low[w] = high[w] = j
                    high[axis] = 1
                    total = total + weights[i][:, u] * weights[j][:, w] * (field[tuple(high)] - field[tuple(low)])
            parts.append(total)
        return np.stack(parts, axis=1)

    return np.cross(gradient(phi), gradient(psi)) * FLOW_SCALE


def numpy_particle_step(columns, emitter, step: int, dt: float, ground_height: float) -> None:
    """One step of a sphere emitter's live particles (no force fields or sphere colliders), in place."""
    position, velocity, age, lifetime = columns[:4]
    decay, c1, c2 = (np.float32(c) for c in drag_coefficients(float(emitter["drag"]), dt))
    wind = emitter["wind"]
    acceleration = emitter["gravity"] + emitter["turbulence"] * _curl_noise(
        position * (np.float32(WAVELENGTH_CELLS) / emitter["turbulence_scale"]))
    relative = velocity - wind
    position += wind * np.float32(dt) + relative * c1 + acceleration * c2
    velocity[:] = wind + relative * decay + acceleration * c1
    if emitter["collide"]:
        restitution, depth = emitter["restitution"], np.float32(ground_height) - position[:, 1]
        below, speed_y = depth > 0, velocity[:, 1]
        falling = below & (speed_y < 0)
        since = np.minimum(depth / np.maximum(-speed_y, np.float32(1e-6)), np.float32(dt))
        fall = acceleration[:, 1] * since
        position[below, 1] = ground_height + depth[below] * restitution
        velocity[falling, 1] = (restitution * (fall - speed_y) + fall)[falling]
        velocity[below, 0] *= 1.0 - emitter["friction"]
        velocity[below, 2] *= 1.0 - emitter["friction"]
    age += np.float32(dt)
    _respawn_sphere(columns, np.flatnonzero(age >= lifetime), emitter, step, dt)


# ---- the bench -----------------------------------------------------------------------------------------------------

def fountain_app(count: int) -> App:
    """An app with one respawning fountain of `count` particles, all born in a burst at t = 0 (not yet stepped)."""
    app = App()
    app.world.insert_resource(ParticlePool(budget=count))
    app.add_plugin(particles_plugin)
    first, bursts = app.world.resource(ParticleBursts).add([(0.0, count)])
    app.world.spawn(Transform(translation=(0.0, 1.0, 0.0)), GlobalTransform(),
                    ParticleEmitter(capacity=count, burst_first=first, burst_count=bursts, **FOUNTAIN),
                    ParticleAppearance())
    app.schedule.run_phase(Phase.ANIMATE, app.world, app.commands)  # transforms, then the emitter rows
    return app


def step_simulation(app: App, steps: int = 1) -> None:
    """Fixed steps without the frame around them (no camera needed), as App.update_to runs them."""
    for _ in range(steps):
        app.schedule.run_phase(Phase.SIMULATE, app.world, app.commands)
        app.clock.sim_steps += 1


def bench_particles(count: int = 1_000_000, threads: int | None = None) -> dict:
    previous_threads = numba.get_num_threads()
    numba.set_num_threads(threads or numba.config.NUMBA_NUM_THREADS)
    try:
        app = fountain_app(count)
        step_simulation(app, WARM_UP_STEPS)
        pool = app.world.resource(ParticlePool)
        reference = tuple(column.copy() for column in pool.columns)
        emitter = pool.emitters[0].copy()
        state_bytes = sum(column.nbytes for column in pool.columns)
        source, target = np.ones(state_bytes // 4, np.float32), np.empty(state_bytes // 4, np.float32)
        dt = app.clock.fixed_dt

        def numpy_step():
            numpy_particle_step(reference, emitter, app.clock.sim_steps, dt, 0.0)

        step_samples, numpy_samples, copy_samples = [], [], []
        for _ in range(5):  # rounds alternate, so all three see the same machine state; the median round is reported
            step_samples.append(_best_ms(lambda: step_simulation(app), 20))
            numpy_samples.append(_best_ms(numpy_step, 2))
            copy_samples.append(_best_ms(lambda: np.copyto(target, source), 20))
        used_threads = numba.get_num_threads()
    finally:
        numba.set_num_threads(previous_threads)
    step_ms, numpy_ms, copy_ms = (float(np.median(s)) for s in (step_samples, numpy_samples, copy_samples))
    return {"count": count, "threads": used_threads, "step_ms": round(step_ms, 3), "numpy_ms": round(numpy_ms, 3),
            "copy_ms": round(copy_ms, 3)}
