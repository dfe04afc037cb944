"""Particle keys in scene files, their one-line errors, and extract into the RenderFrame."""


import textwrap

import numpy as np
import pytest
from PIL import Image

from components.particles import (
    CURVE_SAMPLES,
    EmitterShape,
    Falloff,
    ForceField,
    ForceKind,
    ParticleAppearance,
    ParticleEmitter,
    SphereCollider,
)
from engine.errors import InputError
from systems.particles.plugin import particles_plugin
from systems.particles.pool import ParticlePool
from systems.rendering.extract_frame import ExtractedFrame
from tests.scene_helpers import load_with, write_scene

CAMERA = """
[[entity]]
name = "cam"
transform = { translation = [0, 2, 8] }
camera = { focal_length_mm = 35 }
look_at = { point = [0, 1, 0] }
"""

SPARKS = CAMERA + """
[[entity]]
name = "sparks"
transform = { translation = [0, 1, 0] }

[entity.particle_emitter]
capacity = 500
rate = 120
bursts = [[0.0, 50]]
shape = "cone"
radius = 0.1
cone_angle = 15
speed = [3, 5]
lifetime = [0.5, 1.0]
size = 0.05
blend = "additive"
emissive = 4.0
stretch = 0.02
turbulence = 0.5
color_over_life = [[0.0, [1, 0.6, 0.2, 1]], [1.0, [0.3, 0.1, 0.05, 0]]]
size_over_life = [[0.0, 1.0], [1.0, 0.25]]
opacity_over_life = [[0.0, 0.0], [0.1, 1.0]]

[[entity]]
name = "swirl"
transform = { translation = [0, 2, 0] }
force_field = { kind = "vortex", strength = 3, radius = 2, falloff = "linear" }

[[entity]]
name = "ball"
transform = { translation = [1, 0.5, 0] }
shape = { kind = "sphere", radius = 0.5 }
sphere_collider = { radius = 0.5, restitution = 0.6 }
"""


write = write_scene


def load(path):
    return load_with(particles_plugin, path)


def test_scene_keys_make_components(tmp_path):
    app, info = load(write(tmp_path, SPARKS))
    world, sparks = app.world, info.entities["sparks"]
    assert int(world.get(sparks, ParticleEmitter.shape)) == EmitterShape.CONE
    assert float(world.get(sparks, ParticleEmitter.speed_min)) == 3.0
    assert float(world.get(sparks, ParticleEmitter.lifetime_max)) == 1.0
    assert float(world.get(sparks, ParticleEmitter.size_min)) == float(world.get(sparks, ParticleEmitter.size_max))
    assert int(world.get(sparks, ParticleEmitter.segment)) >= 0  # allocated at load, against the budget
    colors = world.get(sparks, ParticleAppearance.color_over_life)
    assert colors.shape == (CURVE_SAMPLES, 4)
    assert np.allclose(colors[0], [1, 0.6, 0.2, 0.0])  # the opacity curve starts at 0
    assert np.allclose(colors[-1], [0.3, 0.1, 0.05, 0.0])
    assert np.allclose(colors[CURVE_SAMPLES // 2, 3], 0.5, atol=0.02)  # alpha curve 1 -> 0, opacity 1
    sizes = world.get(sparks, ParticleAppearance.size_over_life)
    assert sizes[0] == pytest.approx(1.0) and sizes[-1] == pytest.approx(0.25)
    swirl = info.entities["swirl"]
    assert int(world.get(swirl, ForceField.kind)) == ForceKind.VORTEX
    assert int(world.get(swirl, ForceField.falloff)) == Falloff.LINEAR
    assert float(world.get(info.entities["ball"], SphereCollider.restitution)) == pytest.approx(0.6)


def test_extract_hands_the_renderer_views_of_the_live_range(tmp_path):
    app, info = load(write(tmp_path, SPARKS))
    app.update_to(0.51)
    frame = app.world.resource(ExtractedFrame).frame
    assert len(frame.particles) == 1
    batch = frame.particles[0]
    pool = app.world.resource(ParticlePool)
    span = pool.live_range(int(app.world.get(info.entities["sparks"], ParticleEmitter.segment)))
    assert len(batch.positions) == span.stop - span.start == 50 + 60
    assert np.shares_memory(batch.positions, pool.position) and np.shares_memory(batch.seeds, pool.seed)
    assert not batch.positions.flags.writeable
    assert batch.extrapolate == pytest.approx(0.51 - 30 / 60)
    assert batch.blend == "additive" and batch.emissive == 4.0 and batch.stretch == pytest.approx(0.02)
    assert batch.texture is None and batch.flipbook == (1, 1)
    assert batch.color_over_life.shape == (CURVE_SAMPLES, 4) and batch.size_over_life.shape == (CURVE_SAMPLES,)


def test_scrubbing_back_gives_the_frame_that_playing_gives(tmp_path):
    path = write(tmp_path, SPARKS)
    played, _ = load(path)
    for frame in range(25):
        played.update_to(frame / 24)
    scrubbed, _ = load(path)
    scrubbed.update_to(1.5)
    scrubbed.update_to(24 / 24)  # back: reset, then stepped again from t = 0
    a, b = (app.world.resource(ExtractedFrame).frame.particles[0] for app in (played, scrubbed))
    for name in ("positions", "velocities", "ages", "lifetimes", "sizes", "seeds"):
        assert np.array_equal(getattr(a, name), getattr(b, name))


def test_seek_to_before_the_first_step_shows_no_particles(tmp_path):
    app, _ = load(write(tmp_path, SPARKS))
    app.update_to(0.5)
    app.update_to(0.005)  # earlier than one fixed step: no step runs, the reset alone empties the emitters
    assert app.world.resource(ExtractedFrame).frame.particles == []


def test_mesh_emitter_samples_its_entity_surface_and_textures_load(tmp_path):
    Image.new("RGBA", (8, 4), (255, 200, 100, 255)).save(tmp_path / "flip.png")
    path = write(tmp_path, CAMERA + textwrap.dedent("""
        [[entity]]
        name = "crate"
        transform = { translation = [0, 2, 0] }
        shape = { kind = "box", size = [1, 1, 1] }
        [entity.particle_emitter]
        shape = "mesh"
        bursts = [[0.0, 400]]
        speed = 0
        gravity = [0, 0, 0]
        lifetime = 10
        texture = "flip.png"
        flipbook = [2, 1]
        blend = "alpha"
        """))
    app, _ = load(path)
    app.update_to(1 / 60)
    batch = app.world.resource(ExtractedFrame).frame.particles[0]
    local = batch.positions - [0.0, 2.0, 0.0]
    assert len(local) == 400
    assert np.allclose(np.abs(local).max(axis=1), 0.5, atol=1e-5)  # every particle on a face of the box
    assert batch.texture.pixels.shape == (4, 8, 4) and batch.flipbook == (2, 1) and batch.blend == "alpha"


ERRORS = {
    "negative rate": ("rate = -5", "entity 'fx': particle_emitter.rate: must be >= 0, got -5"),
    "zero capacity": ("capacity = 0", "particle_emitter.capacity: must be >= 1, got 0"),
    "range order": ("lifetime = [2, 1]", "particle_emitter.lifetime: min must not exceed max, got [2, 1]"),
    "range value": ("lifetime = 0", "particle_emitter.lifetime: must be > 0, got 0"),
    "range type": ("speed = 'fast'", "particle_emitter.speed: expected a number or [min, max], got 'fast'"),
    "shape": ("shape = 'torus'", "particle_emitter.shape: expected one of point, sphere, box, cone, mesh"),
    "curve key": ("color_over_life = [[0, [1, 1]]]", "particle_emitter.color_over_life[0]: expected [t, [r, g, b(, a)]]"),
    "curve time": ("size_over_life = [[0.5, 1], [0.2, 2]]",
                   "particle_emitter.size_over_life[1]: key times must increase, 0.2 follows 0.5"),
    "curve range": ("opacity_over_life = [[1.5, 1]]", "particle_emitter.opacity_over_life[0]: expected [t, opacity]"),
    "burst": ("bursts = [[1.0, 0]]", "particle_emitter.bursts[0]: expected [time >= 0, count >= 1], got [1.0, 0]"),
    "burst capacity": ("capacity = 10, bursts = [[0, 20]]", "particle_emitter.bursts[0]: 20 particles exceed the capacity"),
    "budget": ("capacity = 3000000",
               "particle_emitter.capacity: 3000000 more particles would make 3000000, over the particle budget of 2000000"),
    "mesh without model": ("shape = 'mesh'", "particle_emitter.mesh: a mesh emitter needs a mesh file"),
    "mesh on sphere": ("mesh = 'a.glb'", "particle_emitter.mesh: only a mesh emitter uses a mesh"),
    "missing texture": ("texture = 'nope.png'", "particle_emitter.texture: file not found: nope.png"),
    "flipbook": ("flipbook = [0, 2]", "particle_emitter.flipbook: expected [columns, rows], integers >= 1"),
    "emit window": ("emit_start = 2, emit_stop = 1", "particle_emitter.emit_stop: must be after emit_start"),
    "unknown field": ("rat = 5", "particle_emitter.rat: unknown field"),
    "blend": ("blend = 'screen'", "particle_emitter.blend: expected one of additive, alpha"),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_bad_emitters_raise_one_line_errors(tmp_path, case):
    fields, expected = ERRORS[case]
    path = write(tmp_path, f"[[entity]]\nname = 'fx'\nparticle_emitter = {{ {fields} }}\n")
    with pytest.raises(InputError) as caught:
        load(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and expected in message and "\n" not in message


@pytest.mark.parametrize("text, expected", [
    ("force_field = { kind = 'spring' }", "force_field.kind: expected one of attractor, vortex"),
    ("force_field = { radius = 0 }", "force_field.radius: must be > 0, got 0"),
    ("sphere_collider = { restitution = 2 }", "sphere_collider.restitution: must be <= 1, got 2"),
])
def test_bad_fields_and_colliders_raise_one_line_errors(tmp_path, text, expected):
    path = write(tmp_path, f"[[entity]]\nname = 'fx'\n{text}\n")
    with pytest.raises(InputError, match=expected):
        load(path)


def test_scene_particle_budget_bounds_all_emitters(tmp_path):
    emitters = "".join(f"[[entity]]\nname = 'fx{i}'\nparticle_emitter = {{ capacity = 600 }}\n" for i in range(2))
    app, _ = load(write(tmp_path, "[scene]\nparticle_budget = 1200\n" + emitters))
    assert app.world.resource(ParticlePool).budget == 1200
    with pytest.raises(InputError, match="entity 'fx1': particle_emitter.capacity: 600 more particles would make 1200, "
                                         "over the particle budget of 1000"):
        load(write(tmp_path, "[scene]\nparticle_budget = 1000\n" + emitters))
    with pytest.raises(InputError, match="scene.particle_budget: must be >= 1, got 0"):
        load(write(tmp_path, "[scene]\nparticle_budget = 0\n"))
