"""The per-emitter rows the particle kernels read: settings copied from components, and running state.

One structured row per pool segment. The sync system rewrites the settings and the emitter's world matrix every
frame, so the kernels never touch the ECS tables; the kernels own the running state (live count, spawn carry,
spawn counter, the emitter's velocity). Angles are stored as the cosines the samplers use.
"""

from __future__ import annotations

import numpy as np

from components.particles import ParticleEmitter
from components.transform import GlobalTransform

_F4, _I4, _I8 = np.float32, np.int32, np.int64

EMITTER_DTYPE = np.dtype([
    ("matrix", _F4, (4, 4)),  # emitter-local -> world, this frame
    ("active", np.bool_),  # an emitter entity holds this row (released rows are skipped)
    # running state
    ("offset", _I8),  # first slot of the segment in the pool columns
    ("capacity", _I8),
    ("live", _I8),  # live particles are [offset, offset + live)
    ("spawned", np.uint64),  # particles spawned since the last reset: the RNG counter of the next one
    ("carry", np.float64),  # fraction of a particle owed by `rate`
    ("spawn_count", _I8),  # particles to spawn this step
    ("previous_origin", _F4, 3),
    ("has_previous", np.bool_),
    ("velocity", _F4, 3),  # the emitter's own velocity over the last step
    # settings (see components.particles.ParticleEmitter)
    ("rate", _F4), ("emit_start", _F4), ("emit_stop", _F4), ("burst_first", _I4), ("burst_count", _I4),
    ("shape", _I4), ("radius", _F4), ("box_size", _F4, 3), ("cone_cos", _F4),
    ("surface_first", _I4), ("surface_count", _I4),
    ("speed_min", _F4), ("speed_max", _F4), ("spread_cos", _F4), ("inherit_velocity", _F4),
    ("lifetime_min", _F4), ("lifetime_max", _F4), ("size_min", _F4), ("size_max", _F4),
    ("seed", np.uint32), ("respawn", np.bool_),
    ("gravity", _F4, 3), ("drag", _F4), ("wind", _F4, 3), ("turbulence", _F4), ("turbulence_scale", _F4),
    ("collide", np.bool_), ("restitution", _F4), ("friction", _F4),
], align=True)

_COPIED = ("rate", "emit_start", "emit_stop", "burst_first", "burst_count", "shape", "radius", "box_size",
           "speed_min", "speed_max", "inherit_velocity", "lifetime_min", "lifetime_max", "size_min", "size_max",
           "seed", "respawn", "gravity", "drag", "wind", "turbulence", "turbulence_scale", "collide", "restitution",
           "friction")


def write_emitter_rows(rows: np.ndarray, view, surfaces) -> None:
    """Copy one table view of emitters (segments already allocated) into their rows."""
    segments = view[ParticleEmitter.segment]
    rows["active"][segments] = True
    rows["matrix"][segments] = view[GlobalTransform.matrix]
    for name in _COPIED:
        rows[name][segments] = view[getattr(ParticleEmitter, name)]
    rows["spread_cos"][segments] = np.cos(np.radians(view[ParticleEmitter.spread]))
    rows["cone_cos"][segments] = np.cos(np.radians(view[ParticleEmitter.cone_angle]))
    rows["surface_first"][segments], rows["surface_count"][segments] = surfaces.ranges(view[ParticleEmitter.surface])
