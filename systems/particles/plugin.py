"""Particles domain: pooled particle state, numba kernels at the fixed step, extract into the RenderFrame.

The kernels are cached on disk by numba, which notices edits to a kernel's own file but not to the kernels it
calls from other files: after editing a file here, delete systems/particles/__pycache__/*.nbi and *.nbc.
"""

from engine.scene_file import SceneRegistry
from engine.scene_schema import integer
from engine.schedule import Phase
from systems.particles.bursts import ParticleBursts
from systems.particles.collisions import ParticleColliders
from systems.particles.extract import extract_particles
from systems.particles.force_fields import ParticleForceFields
from systems.particles.mesh_surfaces import EmitterSurfaces
from systems.particles.pool import DEFAULT_BUDGET, MAX_BUDGET, ParticlePool
from systems.particles.scene_keys import PARTICLE_SCENE_COMPONENTS
from systems.particles.simulate import reset_particles_on_seek, step_particles, sync_particle_emitters
from systems.particles.textures import ParticleTextures
from systems.rendering.plugin import scene_plugin


def particles_plugin(app) -> None:
    """Needs the scene plugin (extract appends to its frame); adding it at the end of scene_plugin also works."""
    app.add_plugin(scene_plugin)
    world = app.world
    for resource in (ParticlePool(), ParticleBursts(), EmitterSurfaces(), ParticleTextures(), ParticleForceFields(),
                     ParticleColliders()):
        if world.get_resource(type(resource)) is None:
            world.insert_resource(resource)
    registry = world.resource(SceneRegistry)
    for component_type in PARTICLE_SCENE_COMPONENTS:
        registry.register(component_type)
    # [scene] particle_budget: the most particles the scene's emitters may reserve, all together
    registry.header_keys["particle_budget"] = (
        integer(DEFAULT_BUDGET, minimum=1, maximum=MAX_BUDGET),
        lambda world, budget: setattr(world.resource(ParticlePool), "budget", int(budget)),
    )
    app.add_system(reset_particles_on_seek, Phase.ANIMATE)
    app.add_system(sync_particle_emitters, Phase.ANIMATE)
    app.add_system(step_particles, Phase.SIMULATE)
    app.add_system(extract_particles, Phase.EXTRACT, after="extract_render_frame")
