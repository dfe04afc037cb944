"""Extract: one ParticleBatch per emitter with live particles, as read-only views of the pool (no copies)."""

from __future__ import annotations

from components.particles import ParticleAppearance, ParticleBlend, ParticleEmitter
from engine.clock import Clock
from engine.query import Query, Read
from engine.render.frame import ParticleBatch
from engine.schedule import Res, ResMut
from systems.particles.pool import ParticlePool
from systems.particles.textures import ParticleTextures
from systems.rendering.extract_frame import ExtractedFrame

BLEND_NAMES = {ParticleBlend.ADDITIVE: "additive", ParticleBlend.ALPHA: "alpha"}


def _read_only(view):
    view.flags.writeable = False
    return view


def extract_particles(
    emitters: Query[Read[ParticleEmitter], Read[ParticleAppearance]],
    pool: Res[ParticlePool],
    textures: Res[ParticleTextures],
    clock: Res[Clock],
    out: ResMut[ExtractedFrame],
):
    if out.frame is None:
        return
    extrapolate = clock.time - clock.sim_time  # the renderer draws p + v * extrapolate
    lives = pool.emitters["live"]
    for view in emitters:
        segments = view[ParticleEmitter.segment]
        colors, sizes = view[ParticleAppearance.color_over_life], view[ParticleAppearance.size_over_life]
        blends, emissives = view[ParticleAppearance.blend], view[ParticleAppearance.emissive]
        texture_ids, flipbooks = view[ParticleAppearance.texture], view[ParticleAppearance.flipbook]
        stretches, softnesses = view[ParticleAppearance.stretch], view[ParticleAppearance.softness]
        for row, segment in enumerate(segments.tolist()):
            if segment < 0 or lives[segment] == 0:
                continue
            span = pool.live_range(segment)
            texture = int(texture_ids[row])
            out.frame.particles.append(ParticleBatch(
                positions=_read_only(pool.position[span]), velocities=_read_only(pool.velocity[span]),
                ages=_read_only(pool.age[span]), lifetimes=_read_only(pool.lifetime[span]),
                sizes=_read_only(pool.size[span]), seeds=_read_only(pool.seed[span]),
                color_over_life=colors[row], size_over_life=sizes[row],
                blend=BLEND_NAMES[ParticleBlend(int(blends[row]))], emissive=float(emissives[row]),
                texture=textures.images[texture] if texture >= 0 else None,
                flipbook=(int(flipbooks[row, 0]), int(flipbooks[row, 1])), stretch=float(stretches[row]),
                softness=float(softnesses[row]), extrapolate=extrapolate,
            ))
