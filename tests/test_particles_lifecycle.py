"""Particle emitters over time: spawn counts, bursts, respawn, death with compaction, determinism, the pool."""

import gc
import tracemalloc

import numba
import numpy as np
import pytest

from components.particles import EmitterShape, ParticleAppearance, ParticleEmitter
from components.transform import GlobalTransform, Transform
from engine.app import App, SimulationReset
from engine.cli.bench_particles import step_simulation
from engine.schedule import Phase
from systems.particles.bursts import ParticleBursts
from systems.particles.plugin import particles_plugin
from systems.particles.pool import ParticleBudgetError, ParticlePool
from systems.particles.simulate import despawn_particle_emitter
from systems.particles.work_chunks import PARALLEL_MIN_PARTICLES

LONG_LIVED = {"lifetime_min": 100.0, "lifetime_max": 100.0}


def new_app(budget=100_000):
    app = App()
    app.world.insert_resource(ParticlePool(budget=budget))
    app.add_plugin(particles_plugin)
    return app


def add_emitter(app, translation=(0.0, 1.0, 0.0), bursts=(), **settings):
    first, count = app.world.resource(ParticleBursts).add(list(bursts))
    settings.setdefault("capacity", 1000)
    return app.world.spawn(Transform(translation=translation), GlobalTransform(),
                           ParticleEmitter(burst_first=first, burst_count=count, **settings), ParticleAppearance())


def start(app):
    """Run the frame-level systems once: transforms, segment allocation, emitter rows."""
    app.schedule.run_phase(Phase.ANIMATE, app.world, app.commands)


def live(app, entity):
    """The live particles of an emitter: its columns' views over [offset, offset + live)."""
    pool = app.world.resource(ParticlePool)
    span = pool.live_range(int(app.world.get(entity, ParticleEmitter.segment)))
    return {name: column[span] for name, column in zip(("position", "velocity", "age", "lifetime", "size", "seed"),
                                                      pool.columns)}


def live_count(app, entity):
    return len(live(app, entity)["age"])


def test_rate_spawns_rate_times_time():
    app = new_app()
    steady = add_emitter(app, rate=100.0, **LONG_LIVED)
    half = add_emitter(app, rate=30.0, **LONG_LIVED)  # half a particle per step: the carry accumulates
    start(app)
    step_simulation(app, 60)
    assert abs(live_count(app, steady) - 100) <= 1
    assert live_count(app, half) == 30
    step_simulation(app, 30)
    assert abs(live_count(app, steady) - 150) <= 1
    assert live_count(app, half) == 45


def test_bursts_emission_window_and_capacity():
    app = new_app()
    bursts = add_emitter(app, bursts=[(0.0, 50), (0.5, 20)], **LONG_LIVED)
    window = add_emitter(app, rate=60.0, emit_start=0.5, emit_stop=1.0, **LONG_LIVED)
    full = add_emitter(app, capacity=40, bursts=[(0.0, 30), (0.25, 30)], rate=600.0, **LONG_LIVED)
    start(app)
    step_simulation(app)
    assert live_count(app, bursts) == 50 and live_count(app, window) == 0 and live_count(app, full) == 40
    step_simulation(app, 29)  # up to t = 0.5: the second burst is due in the next step
    assert live_count(app, bursts) == 50
    step_simulation(app)
    assert live_count(app, bursts) == 70
    step_simulation(app, 60)
    assert live_count(app, window) == 30  # 60 per second for half a second
    assert live_count(app, full) == 40  # capacity: extra particles are dropped, not queued


def test_particles_are_born_in_the_emitter_shape():
    app = new_app()
    sphere = add_emitter(app, translation=(2.0, 3.0, 4.0), bursts=[(0.0, 500)], shape=EmitterShape.SPHERE,
                         radius=0.5, speed_min=1.0, speed_max=2.0, spread=180.0, size_min=0.1, size_max=0.3,
                         **LONG_LIVED)
    box = add_emitter(app, translation=(0.0, 5.0, 0.0), bursts=[(0.0, 500)], shape=EmitterShape.BOX,
                      box_size=(2.0, 0.0, 1.0), speed_min=0.0, speed_max=0.0, **LONG_LIVED)
    cone = add_emitter(app, bursts=[(0.0, 500)], shape=EmitterShape.CONE, radius=0.2, cone_angle=20.0, speed_min=1.0,
                       speed_max=1.0, **LONG_LIVED)
    start(app)
    step_simulation(app)
    particles = live(app, sphere)
    assert np.all(np.linalg.norm(particles["position"] - [2.0, 3.0, 4.0], axis=1) <= 0.5 + 1e-5)
    speeds = np.linalg.norm(particles["velocity"], axis=1)
    assert speeds.min() >= 1.0 - 1e-5 and speeds.max() <= 2.0 + 1e-5
    assert particles["size"].min() >= 0.1 - 1e-6 and particles["size"].max() <= 0.3 + 1e-6
    assert len(np.unique(particles["seed"])) == 500
    flat = live(app, box)["position"]
    assert np.allclose(flat[:, 1], 5.0) and np.abs(flat[:, 0]).max() <= 1.0 and np.abs(flat[:, 2]).max() <= 0.5
    directions = live(app, cone)["velocity"]
    assert np.degrees(np.arccos(np.clip(directions[:, 1], -1, 1))).max() <= 20.0 + 1e-3


def test_respawn_keeps_the_count_and_rebirths_at_the_emitter():
    app = new_app()
    fountain = add_emitter(app, bursts=[(0.0, 200)], respawn=True, lifetime_min=0.2, lifetime_max=0.5,
                           speed_min=1.0, speed_max=1.0)
    start(app)
    step_simulation(app, 120)
    particles = live(app, fountain)
    assert len(particles["age"]) == 200
    assert np.all(particles["age"] < particles["lifetime"])
    assert particles["lifetime"].min() >= 0.2 - 1e-6 and particles["lifetime"].max() <= 0.5 + 1e-6
    newborn = particles["age"] == 0.0
    assert newborn.any() and np.allclose(particles["position"][newborn], [0.0, 1.0, 0.0])
    assert app.world.resource(ParticlePool).emitters[0]["spawned"] == 200  # respawns are not new spawns


def test_death_compacts_each_live_range_and_keeps_the_survivors():
    app = new_app()
    dying = add_emitter(app, bursts=[(0.0, 1000)], lifetime_min=0.1, lifetime_max=1.0, gravity=(0.0, 0.0, 0.0))
    neighbour = add_emitter(app, bursts=[(0.0, 300)], **LONG_LIVED)
    start(app)
    step_simulation(app)
    born = live(app, dying)
    seeds, lifetimes = born["seed"].copy(), born["lifetime"].copy()
    neighbour_seeds = live(app, neighbour)["seed"].copy()
    age = np.float32(0.0)  # all born together: one age, accumulated in float32 as the kernel does
    for _ in range(60):
        step_simulation(app)
        age += np.float32(app.clock.fixed_dt)
        survivors = live(app, dying)
        assert sorted(survivors["seed"].tolist()) == sorted(seeds[lifetimes > age].tolist())
        assert np.all(survivors["age"] == age)
        assert np.array_equal(live(app, neighbour)["seed"], neighbour_seeds)  # untouched by the compaction next door
    assert live_count(app, dying) == 0


def run_fountain(threads, count=PARALLEL_MIN_PARTICLES + 8000, steps=40):
    previous = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        app = new_app(budget=count)
        add_emitter(app, capacity=count, bursts=[(0.0, count)], respawn=True, shape=EmitterShape.SPHERE, radius=0.5,
                    speed_min=1.0, speed_max=3.0, spread=40.0, lifetime_min=0.2, lifetime_max=0.6, drag=0.3,
                    turbulence=3.0, seed=99)
        start(app)
        step_simulation(app, steps)
        return tuple(column.copy() for column in app.world.resource(ParticlePool).columns)
    finally:
        numba.set_num_threads(previous)


def test_same_seed_gives_identical_state_on_any_thread_count():
    single = run_fountain(1)
    assert all(np.array_equal(a, b) for a, b in zip(single, run_fountain(1)))
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("one numba thread on this machine")
    assert all(np.array_equal(a, b) for a, b in zip(single, run_fountain(2)))


def test_reset_empties_every_emitter_and_replays_identically():
    app = new_app()
    entity = add_emitter(app, rate=200.0, lifetime_min=0.3, lifetime_max=0.9, turbulence=1.0, spread=30.0)
    start(app)
    step_simulation(app, 45)
    first = {name: column.copy() for name, column in live(app, entity).items()}
    app.world.send(SimulationReset())
    start(app)  # the reset is handled every frame, even one with no fixed step due
    assert live_count(app, entity) == 0
    app.clock.sim_steps = 0
    step_simulation(app, 45)
    assert all(np.array_equal(first[name], column) for name, column in live(app, entity).items())


def test_stepping_allocates_nothing():
    app = new_app()
    add_emitter(app, capacity=2000, rate=600.0, lifetime_min=0.5, lifetime_max=1.5, turbulence=1.0, spread=45.0)
    add_emitter(app, capacity=500, bursts=[(0.0, 500)], respawn=True, lifetime_min=0.1, lifetime_max=0.3)
    start(app)
    step_simulation(app, 200)
    pool = app.world.resource(ParticlePool)
    arrays = [*pool.columns, *pool.scratch, pool.emitters]
    tracemalloc.start()
    try:
        step_simulation(app, 100)
        gc.collect()  # dispatch leaves short-lived reference cycles; only what survives a collection is growth
        before = tracemalloc.get_traced_memory()[0]
        step_simulation(app, 10_000)
        gc.collect()
        growth = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert growth < 4096
    assert all(a is b for a, b in zip(arrays, [*pool.columns, *pool.scratch, pool.emitters]))


def test_pool_budget_reuse_and_release():
    pool = ParticlePool(budget=1000)
    a = pool.allocate(600)
    with pytest.raises(ParticleBudgetError, match="1100, over the particle budget of 1000"):
        pool.allocate(500)
    pool.release(a)
    assert pool.allocate(600) == a  # a freed segment of the same capacity is reused
    assert pool.allocate(400) != a and pool.used == 1000


def test_despawned_emitter_hands_back_its_segment():
    app = new_app()
    first = add_emitter(app, rate=100.0, **LONG_LIVED)
    start(app)
    step_simulation(app, 10)
    segment = int(app.world.get(first, ParticleEmitter.segment))
    despawn_particle_emitter(app.world, first)
    second = add_emitter(app, rate=100.0, **LONG_LIVED)
    start(app)
    assert int(app.world.get(second, ParticleEmitter.segment)) == segment
    assert live_count(app, second) == 0
