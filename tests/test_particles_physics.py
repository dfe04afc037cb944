"""Particle kernels against closed forms: free fall, drag, wind, bounces, fields, curl noise, and the numpy reference."""

import math

import numpy as np
import pytest
from numba import njit

from components.particles import ForceField, ForceKind, ParticleAppearance, ParticleEmitter, SphereCollider
from components.transform import GlobalTransform, Transform
from engine.app import App
from engine.cli.bench_particles import fountain_app, numpy_particle_step, step_simulation
from engine.schedule import Phase
from systems.particles.bursts import ParticleBursts
from systems.particles.counter_rng import particle_key, uniform
from systems.particles.curl_noise import TILE_SIZE, curl_noise
from systems.particles.plugin import particles_plugin
from systems.particles.pool import ParticlePool

DT = 1.0 / 60.0
FALLING = {"gravity": (0.0, -9.81, 0.0), "collide": False, "lifetime_min": 100.0, "lifetime_max": 100.0}


def one_particle(translation=(0.0, 0.0, 0.0), *extra, **settings):
    """An app whose emitter bursts one particle at t = 0, straight along +Y at `speed`."""
    app = App()
    app.add_plugin(particles_plugin)
    speed = settings.pop("speed", 0.0)
    first, count = app.world.resource(ParticleBursts).add([(0.0, 1)])
    emitter = ParticleEmitter(capacity=1, burst_first=first, burst_count=count, speed_min=speed, speed_max=speed,
                              **settings)
    app.world.spawn(Transform(translation=translation), GlobalTransform(), emitter, ParticleAppearance())
    for values in extra:
        app.world.spawn(*values)
    app.schedule.run_phase(Phase.ANIMATE, app.world, app.commands)
    step_simulation(app)  # born at the end of step 0, with age 0
    return app


def state(app):
    pool = app.world.resource(ParticlePool)
    span = pool.live_range(0)
    return pool.position[span][0].astype(np.float64), pool.velocity[span][0].astype(np.float64), float(pool.age[span][0])


def test_free_fall_matches_closed_form():
    app = one_particle((0.0, 1.0, 0.0), speed=5.0, **FALLING)
    step_simulation(app, 90)
    position, velocity, age = state(app)
    assert age == pytest.approx(90 * DT, rel=1e-5)
    assert position == pytest.approx([0.0, 1.0 + 5.0 * age - 0.5 * 9.81 * age**2, 0.0], abs=1e-4)
    assert velocity == pytest.approx([0.0, 5.0 - 9.81 * age, 0.0], abs=1e-4)


def test_drag_decays_velocity_exponentially():
    app = one_particle(speed=3.0, drag=0.7, **{**FALLING, "gravity": (0.0, 0.0, 0.0)})
    step_simulation(app, 120)
    position, velocity, age = state(app)
    assert velocity[1] == pytest.approx(3.0 * math.exp(-0.7 * age), rel=1e-4)
    assert position[1] == pytest.approx(3.0 * (1.0 - math.exp(-0.7 * age)) / 0.7, rel=1e-4)


def test_wind_and_drag_reach_terminal_velocity():
    app = one_particle(speed=0.0, drag=2.0, wind=(4.0, 0.0, 0.0), **FALLING)
    step_simulation(app, 600)
    _, velocity, _ = state(app)
    # terminal velocity: wind plus gravity / drag
    assert velocity == pytest.approx([4.0, -9.81 / 2.0, 0.0], abs=1e-3)


def test_ground_bounce_keeps_restitution_squared_of_the_height():
    app = one_particle((0.0, 2.0, 0.0), restitution=0.5, friction=0.0, lifetime_min=100.0, lifetime_max=100.0)
    heights, landed = [], False
    for _ in range(150):
        step_simulation(app)
        position, velocity, _ = state(app)
        assert position[1] >= 0.0
        landed = landed or velocity[1] > 0.0
        if landed:
            heights.append(position[1])
    assert max(heights) == pytest.approx(0.25 * 2.0, rel=0.01)


def test_ground_friction_stops_sliding():
    app = one_particle((0.0, 0.0, 0.0), restitution=0.0, friction=0.1, lifetime_min=100.0, lifetime_max=100.0,
                       spread=0.0, speed=0.0)
    pool = app.world.resource(ParticlePool)
    pool.velocity[0] = (2.0, 0.0, 0.0)
    step_simulation(app, 60)
    position, velocity, _ = state(app)
    assert position[1] == pytest.approx(0.0, abs=1e-3)
    assert abs(velocity[0]) < 2.0 * 0.9**50
    assert 0.0 < position[0] < 2.0 * 0.1 * 10  # slid a little, then stopped


def test_sphere_collider_bounces_particles_off_its_surface():
    sphere = (Transform(translation=(0.0, 0.0, 0.0)), GlobalTransform(), SphereCollider(radius=1.0, restitution=0.8,
                                                                                          friction=0.0))
    app = one_particle((0.0, 3.0, 0.0), sphere, lifetime_min=100.0, lifetime_max=100.0)
    app.world.resource(ParticlePool).position[0, 0] = 0.05  # slightly off-centre: it bounces sideways off the top
    bounced = False
    for _ in range(120):
        step_simulation(app)
        position, velocity, _ = state(app)
        assert np.linalg.norm(position) >= 1.0 - 1e-4
        bounced = bounced or velocity[1] > 0.0
    assert bounced


def test_attractor_pulls_and_vortex_swirls():
    def kick(kind):
        field = (Transform(translation=(0.0, 1.0, 0.0)), GlobalTransform(), ForceField(kind=kind, strength=10.0, radius=5.0))
        app = one_particle((1.0, 1.0, 0.0), field, gravity=(0.0, 0.0, 0.0), collide=False, lifetime_min=100.0,
                           lifetime_max=100.0)
        step_simulation(app)
        return state(app)[1]

    pull = kick(ForceKind.ATTRACTOR)
    assert pull[0] < 0.0 and abs(pull[1]) < 1e-6 and abs(pull[2]) < 1e-6
    swirl = kick(ForceKind.VORTEX)
    assert swirl[2] < 0.0 and abs(swirl[0]) < 0.1 * abs(swirl[2])  # +X turns towards -Z: counter-clockwise from above


@njit
def _flow_at(points, out):
    for i in range(points.shape[0]):
        out[i, 0], out[i, 1], out[i, 2] = curl_noise(points[i, 0], points[i, 1], points[i, 2])


def flow(points):
    out = np.empty_like(points)
    _flow_at(points, out)
    return out


def test_curl_noise_is_divergence_free_and_not_trivial():
    rng = np.random.default_rng(3)
    cells = rng.integers(-TILE_SIZE, 2 * TILE_SIZE, size=(500, 3))
    points = cells + rng.uniform(0.1, 0.9, size=(500, 3))  # finite differences stay inside a cell
    h = 1e-5
    derivatives = np.zeros((500, 3, 3))  # [point, component, axis]
    for axis in range(3):
        step = np.zeros(3)
        step[axis] = h
        derivatives[:, :, axis] = (flow(points + step) - flow(points - step)) / (2 * h)
    divergence = np.trace(derivatives, axis1=1, axis2=2)
    scale = np.abs(derivatives).mean()
    assert scale > 0.1
    assert np.abs(divergence).max() < 1e-6 * scale
    speed = np.linalg.norm(flow(points), axis=1)
    assert 0.5 < np.sqrt(np.mean(speed**2)) < 2.0  # normalised to an RMS of about 1
    assert np.allclose(flow(points), flow(points + TILE_SIZE * np.array([1.0, -2.0, 3.0])), atol=1e-5)  # periodic


def test_curl_noise_is_continuous_in_its_normal_component_across_cell_faces():
    # the flux through a face is continuous, which is what makes the field divergence-free across cells too
    points = np.array([[3.0, 0.3, 0.7], [5.0, 2.5, 9.1]])
    before, after = flow(points - [1e-7, 0, 0]), flow(points + [1e-7, 0, 0])
    assert np.allclose(before[:, 0], after[:, 0], atol=1e-5)


@njit
def _draws(seed, counters, draws):
    out = np.empty((counters.shape[0], draws), np.float32)
    for i in range(counters.shape[0]):
        key = particle_key(seed, counters[i])
        for d in range(draws):
            out[i, d] = uniform(key, d)
    return out


def test_counter_rng_is_uniform_and_keyed_by_seed_and_counter():
    counters = np.arange(100_000, dtype=np.uint64)
    values = _draws(7, counters, 4)
    assert values.min() >= 0.0 and values.max() < 1.0
    assert np.allclose(values.mean(axis=0), 0.5, atol=0.005)
    assert abs(np.corrcoef(values[:, 0], values[:, 1])[0, 1]) < 0.01
    assert np.array_equal(values, _draws(7, counters, 4))
    assert not np.array_equal(values, _draws(8, counters, 4))
    # counters past 2^32 give new keys, not the low word's
    high = _draws(7, counters + np.uint64(1 << 32), 1)
    assert np.mean(high[:, 0] == values[:, 0]) < 0.001


def test_kernels_match_the_numpy_reference_step():
    app = fountain_app(20_000)
    step_simulation(app, 200)  # particles are bouncing, swirling and respawning
    pool = app.world.resource(ParticlePool)
    reference = tuple(column.copy() for column in pool.columns)
    emitter = pool.emitters[0].copy()
    numpy_particle_step(reference, emitter, app.clock.sim_steps, DT, 0.0)
    expired = np.flatnonzero(pool.age + np.float32(DT) >= pool.lifetime)
    step_simulation(app)
    assert len(expired) > 10
    for kernel, numpy_column in zip(pool.columns, reference):
        assert np.allclose(kernel, numpy_column, atol=1e-5)
    assert np.array_equal(pool.seed[expired], reference[5][expired])
