"""The fused per-particle pass: gravity, drag towards the wind, curl-noise turbulence, ground bounce, ageing.

Per particle and step it reads position, velocity, age and lifetime once and writes position, velocity, age and an
expiry flag once, in float32, as a flat loop over a contiguous block so LLVM vectorises it (gathers for the noise
tile). Integration is exact for a constant acceleration `a` and linear drag `k` towards the wind `w` over the step:

    v(dt) = w + (v - w) e^(-k dt) + a (1 - e^(-k dt)) / k
    p(dt) = p + w dt + (v - w) (1 - e^(-k dt)) / k + a (dt - (1 - e^(-k dt)) / k) / k

so free fall, drag decay and terminal velocity match their closed forms at any step size.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from systems.particles.curl_noise import WAVELENGTH_CELLS, curl_noise

NO_GROUND = np.float32(-1e30)  # a finite "no plane": fastmath code may assume no infinities
_ONE = np.float32(1.0)
_ZERO = np.float32(0.0)
_TINY = np.float32(1e-6)


@njit(cache=True)
def drag_coefficients(drag, dt):
    """(e^(-k dt), (1 - e^(-k dt)) / k, (dt - that) / k) in float64, by series when k dt is tiny."""
    x = drag * dt
    if x > 1e-4:
        decay = math.exp(-x)
        c1 = (1.0 - decay) / drag
        return decay, c1, (dt - c1) / drag
    return 1.0 - x + 0.5 * x * x, dt * (1.0 - 0.5 * x + x * x / 6.0), dt * dt * (0.5 - x / 6.0 + x * x / 24.0)


@njit(cache=True, fastmath=True, inline="always")
def _step(px, py, pz, vx, vy, vz, ax, ay, az, wind_x, wind_y, wind_z, wind_dt_x, wind_dt_y, wind_dt_z, decay, c1, c2,
          step, ground, restitution, keep):
    """One particle over one step (scalars in, scalars out: arrays in inlined helpers cost refcounts per particle)."""
    rx, ry, rz = vx - wind_x, vy - wind_y, vz - wind_z
    px = px + wind_dt_x + rx * c1 + ax * c2
    py = py + wind_dt_y + ry * c1 + ay * c2
    pz = pz + wind_dt_z + rz * c1 + az * c2
    vx = wind_x + rx * decay + ax * c1
    vy = wind_y + ry * decay + ay * c1
    vz = wind_z + rz * decay + az * c1
    # ground: the particle hit it `since` seconds ago (estimated from its depth and speed); it bounces back with the
    # impact speed scaled by restitution, then accelerates for `since` again, and loses some tangential speed
    depth = ground - py
    falling = (depth > _ZERO) & (vy < _ZERO)
    since = min(depth / max(-vy, _TINY), step)
    py = ground + depth * restitution if depth > _ZERO else py
    vy = restitution * (ay * since - vy) + ay * since if falling else vy
    slide = keep if depth > _ZERO else _ONE
    return px, py, pz, vx * slide, vy, vz * slide


@njit(cache=True, fastmath=True)
def integrate_block(emitter, position, velocity, age, lifetime, expired, dt, ground_height):
    """Advance one block of an emitter's particles by dt (position and velocity are flat (3n) views), and flag the
    particles whose age reached their lifetime."""
    decay64, c164, c264 = drag_coefficients(np.float64(emitter.drag), dt)
    decay, c1, c2, step = np.float32(decay64), np.float32(c164), np.float32(c264), np.float32(dt)
    gx, gy, gz = emitter.gravity[0], emitter.gravity[1], emitter.gravity[2]
    wx, wy, wz = emitter.wind[0], emitter.wind[1], emitter.wind[2]
    wdx, wdy, wdz = wx * step, wy * step, wz * step
    ground = np.float32(ground_height) if emitter.collide else NO_GROUND
    restitution, keep = emitter.restitution, _ONE - emitter.friction
    turbulence = emitter.turbulence
    frequency = np.float32(WAVELENGTH_CELLS) / emitter.turbulence_scale
    if turbulence == 0.0:
        for i in range(age.shape[0]):
            j = 3 * i
            px, py, pz, vx, vy, vz = _step(position[j], position[j + 1], position[j + 2], velocity[j], velocity[j + 1],
                                           velocity[j + 2], gx, gy, gz, wx, wy, wz, wdx, wdy, wdz, decay, c1, c2,
                                           step, ground, restitution, keep)
            position[j], position[j + 1], position[j + 2] = px, py, pz
            velocity[j], velocity[j + 1], velocity[j + 2] = vx, vy, vz
            older = age[i] + step
            age[i] = older
            expired[i] = older >= lifetime[i]
    else:  # the same loop with the noise term: a branch inside would be flattened into computing it always
        for i in range(age.shape[0]):
            j = 3 * i
            px, py, pz = position[j], position[j + 1], position[j + 2]
            nx, ny, nz = curl_noise(px * frequency, py * frequency, pz * frequency)
            px, py, pz, vx, vy, vz = _step(px, py, pz, velocity[j], velocity[j + 1], velocity[j + 2],
                                           gx + turbulence * nx, gy + turbulence * ny, gz + turbulence * nz,
                                           wx, wy, wz, wdx, wdy, wdz, decay, c1, c2, step, ground, restitution, keep)
            position[j], position[j + 1], position[j + 2] = px, py, pz
            velocity[j], velocity[j + 1], velocity[j + 2] = vx, vy, vz
            older = age[i] + step
            age[i] = older
            expired[i] = older >= lifetime[i]
