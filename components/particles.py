"""Particles: emitters, how their particles look, force fields and sphere colliders.

Particles themselves are not entities. An emitter owns a fixed-capacity segment of the `ParticlePool`
(`systems/particles/pool.py`), and its live particles are the contiguous range [offset, offset + live) there.
The emitter entity's `GlobalTransform` places its shape, so emitters follow paths and parents. Force fields and
sphere colliders are placed the same way.
"""

from enum import IntEnum

import numpy as np

from engine.component import F32, I32, U32, Bool, Vec3, component

CURVE_SAMPLES = 64  # entries in the over-life lookup tables (see engine.render.frame.ParticleBatch)


class EmitterShape(IntEnum):
    POINT = 0  # emits along +Y
    SPHERE = 1  # volume of `radius`, emits outwards
    BOX = 2  # volume of `box_size`, emits along +Y
    CONE = 3  # disc of `radius` in XZ, emits within `cone_angle` of +Y
    MESH = 4  # surface of a model, by area, emits along the face normal


class ParticleBlend(IntEnum):
    ADDITIVE = 0
    ALPHA = 1


class ForceKind(IntEnum):
    ATTRACTOR = 0  # towards the centre (negative strength repels)
    VORTEX = 1  # around the entity's +Y axis, counter-clockwise seen from above for positive strength


class Falloff(IntEnum):
    CONSTANT = 0  # full strength inside the radius
    LINEAR = 1  # 1 - d / radius
    SMOOTH = 2  # (1 - (d / radius)^2)^2


@component
class ParticleEmitter:
    """Where particles are born, how many, and the forces that move them (SI units, angles in degrees)."""

    segment: I32 = -1  # row in the ParticlePool; assigned on allocation, -1 until then
    capacity: I32 = 1000  # most particles alive at once; fixed once the segment is allocated
    rate: F32 = 0.0  # particles per second while emitting
    emit_start: F32 = 0.0  # seconds of scene time
    emit_stop: F32 = np.inf
    burst_first: I32 = 0  # range in the ParticleBursts resource
    burst_count: I32 = 0
    shape: I32 = EmitterShape.POINT
    radius: F32 = 0.0  # sphere radius, cone base radius (metres)
    box_size: Vec3 = (1.0, 1.0, 1.0)
    cone_angle: F32 = 25.0  # half-angle
    surface: I32 = -1  # EmitterSurfaces index for MESH
    speed_min: F32 = 1.0  # m/s along the emission direction
    speed_max: F32 = 1.0
    spread: F32 = 0.0  # half-angle of random deviation from the shape's direction
    inherit_velocity: F32 = 0.0  # fraction of the emitter's own velocity given to new particles
    lifetime_min: F32 = 1.0  # seconds
    lifetime_max: F32 = 1.0
    size_min: F32 = 0.1  # diameter, metres
    size_max: F32 = 0.1
    seed: U32 = 1
    respawn: Bool = False  # an expired particle is reborn at the emitter at once, instead of dying
    gravity: Vec3 = (0.0, -9.81, 0.0)  # m/s^2
    drag: F32 = 0.0  # 1/s: velocity relaxes towards `wind` as exp(-drag t)
    wind: Vec3 = (0.0, 0.0, 0.0)  # m/s
    turbulence: F32 = 0.0  # m/s^2, RMS of the curl-noise acceleration
    turbulence_scale: F32 = 1.0  # metres per noise feature
    collide: Bool = True  # with the ground plane and SphereColliders
    restitution: F32 = 0.3  # ground bounce: fraction of normal speed kept
    friction: F32 = 0.2  # ground contact: fraction of tangential speed lost per step in contact


@component
class ParticleAppearance:
    """How an emitter's particles are drawn: what extract hands the renderer in a ParticleBatch."""

    blend: I32 = ParticleBlend.ADDITIVE
    emissive: F32 = 1.0
    texture: I32 = -1  # ParticleTextures index; -1 = a soft round disc
    flipbook: I32(2) = (1, 1)  # columns, rows
    stretch: F32 = 0.0  # seconds of velocity to stretch along
    softness: F32 = 0.25  # metres
    color_over_life: F32(CURVE_SAMPLES, 4) = np.ones((CURVE_SAMPLES, 4), np.float32)  # linear RGBA by age / lifetime
    size_over_life: F32(CURVE_SAMPLES) = np.ones(CURVE_SAMPLES, np.float32)


@component
class ForceField:
    """Pushes particles within `radius` of the entity's origin."""

    kind: I32 = ForceKind.ATTRACTOR
    strength: F32 = 1.0  # m/s^2 at full falloff
    radius: F32 = 1.0  # metres
    falloff: I32 = Falloff.SMOOTH


@component
class SphereCollider:
    """A sphere at the entity's origin that particles bounce off (radius scaled by the entity's largest scale)."""

    radius: F32 = 0.5
    restitution: F32 = 0.3
    friction: F32 = 0.2
