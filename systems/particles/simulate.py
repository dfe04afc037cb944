"""The particle systems: clear on seek, copy emitters and colliders into kernel rows, step, and despawn.

`sync_particle_emitters` runs once per frame at the end of ANIMATE (after transforms are final), so the fixed
steps of a frame read plain arrays and no ECS table. The reset handler also runs every frame, not in SIMULATE: a
seek to a time before the first fixed step runs no step at all, and the reset must still empty the emitters.
"""

from __future__ import annotations

import numpy as np

from components.particles import ForceField, ParticleEmitter, SphereCollider
from components.transform import GlobalTransform
from engine.app import SimulationReset
from engine.clock import Clock
from engine.query import Query, Read, Write
from engine.schedule import EventReader, Res, ResMut
from systems.particles.advance import advance_live_particles
from systems.particles.bursts import ParticleBursts
from systems.particles.collisions import ParticleColliders
from systems.particles.compaction import remove_expired_particles
from systems.particles.emitter_table import write_emitter_rows
from systems.particles.force_fields import ParticleForceFields
from systems.particles.mesh_surfaces import EmitterSurfaces
from systems.particles.pool import ParticlePool
from systems.particles.spawning import spawn_new_particles
from systems.rendering.view_settings import Environment


def reset_particles_on_seek(resets: EventReader[SimulationReset], pool: ResMut[ParticlePool]):
    if resets.read():
        pool.clear()


def sync_particle_emitters(
    emitters: Query[Write[ParticleEmitter], Read[GlobalTransform]],
    fields: Query[Read[ForceField], Read[GlobalTransform]],
    spheres: Query[Read[SphereCollider], Read[GlobalTransform]],
    environment: Res[Environment],
    surfaces: Res[EmitterSurfaces],
    pool: ResMut[ParticlePool],
    forces: ResMut[ParticleForceFields],
    colliders: ResMut[ParticleColliders],
):
    """Allocate segments for new emitters, then write this frame's emitter, field and collider rows."""
    pool.emitters["active"][: pool.emitter_count] = False  # rows of despawned emitters stop stepping
    for view in emitters:
        segments = view[ParticleEmitter.segment]
        for row in np.flatnonzero(segments < 0):
            segments[row] = pool.allocate(int(view[ParticleEmitter.capacity][row]))
        write_emitter_rows(pool.emitters, view, surfaces)
    forces.write(fields)
    colliders.write(spheres, environment.ground)


def step_particles(
    pool: ResMut[ParticlePool],
    bursts: Res[ParticleBursts],
    surfaces: Res[EmitterSurfaces],
    forces: Res[ParticleForceFields],
    colliders: Res[ParticleColliders],
    clock: Res[Clock],
):
    """One fixed step: advance the live, remove the expired, spawn the new."""
    if pool.emitter_count == 0:
        return
    step, dt = clock.sim_steps, clock.fixed_dt
    columns, scratch = pool.columns, pool.scratch
    chunk_count = advance_live_particles(step, dt, pool.emitters, pool.emitter_count, columns, surfaces.arrays,
                                         forces.rows, forces.count, colliders.rows, colliders.count,
                                         colliders.ground_height, scratch)
    remove_expired_particles(pool.emitters, chunk_count, columns, scratch)
    spawn_new_particles(step, dt, pool.emitters, pool.emitter_count, bursts.times, bursts.counts, columns,
                        surfaces.arrays, scratch)


def despawn_particle_emitter(world, entity: int) -> None:
    """Despawn an emitter and hand its segment back to the pool."""
    segment = int(world.get(entity, ParticleEmitter.segment))
    if segment >= 0:
        world.resource(ParticlePool).release(segment)
    world.despawn(entity)
