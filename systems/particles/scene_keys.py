"""Scene-file keys of the particles domain.

    particle_emitter = {
        capacity = 1000,              # most particles alive at once (all emitters: [scene] particle_budget, 2,000,000)
        rate = 0.0,                   # particles per second, from emit_start until emit_stop
        emit_start = 0.0,             # seconds; emit_stop: seconds, omitted = never stops
        bursts = [],                  # [[time, count], ...]: count particles at once at each time
        shape = "point",              # point | sphere | box | cone | mesh
        radius = 0.0,                 # sphere radius, cone base radius (metres)
        box_size = [1, 1, 1],         # box extents
        cone_angle = 25.0,            # cone half-angle, degrees
        mesh = "rock.glb",            # mesh shape: a model file; omitted = the entity's own model or shape
        speed = 1.0,                  # m/s along the shape's direction; a number or [min, max]
        spread = 0.0,                 # degrees of random deviation from that direction (180 = any direction)
        inherit_velocity = 0.0,       # fraction of the emitter's velocity given to new particles
        lifetime = 1.0,               # seconds; a number or [min, max]
        size = 0.1,                   # diameter in metres; a number or [min, max]
        seed = 12345,                 # omitted = derived from the entity name
        respawn = false,              # true: an expired particle is reborn at the emitter at once
        gravity = [0, -9.81, 0],      # m/s^2
        drag = 0.0,                   # 1/s: velocity relaxes towards `wind` as exp(-drag t)
        wind = [0, 0, 0],             # m/s
        turbulence = 0.0,             # m/s^2 of divergence-free curl noise
        turbulence_scale = 1.0,       # metres per noise feature
        collide = true,               # bounce off the environment's ground and sphere colliders
        restitution = 0.3,            # ground bounce: fraction of normal speed kept (0..1)
        friction = 0.2,               # ground contact: fraction of sliding speed lost per step (0..1)
        blend = "additive",           # additive | alpha
        emissive = 1.0,               # HDR multiplier on colour
        texture = "spark.png",        # sprite or flipbook atlas; omitted = a soft round disc
        flipbook = [1, 1],            # columns, rows; frame chosen by age / lifetime
        stretch = 0.0,                # seconds of velocity to stretch sprites along
        softness = 0.25,              # metres over which particles fade into geometry
        color = [1, 1, 1, 1],         # constant colour, used when there is no color_over_life
        color_over_life = [[0.0, [1, 0.6, 0.2, 1]], [1.0, [0.3, 0.1, 0.05, 0]]],   # [t, [r, g, b(, a)]]
        size_over_life = [[0.0, 0.5], [1.0, 2.0]],                                   # [t, multiplier]
        opacity_over_life = [[0.0, 0.0], [0.1, 1.0], [1.0, 0.0]],                    # [t, alpha multiplier]
    }
    force_field = { kind = "attractor", strength = 1.0, radius = 1.0, falloff = "smooth" }
        # kind: attractor (towards the entity's origin; negative strength repels) | vortex (around its +Y axis)
        # strength in m/s^2; falloff: constant | linear | smooth, reaching 0 at radius (metres)
    sphere_collider = { radius = 0.5, restitution = 0.3, friction = 0.2 }

TOML inline tables must fit on one line, so a long emitter reads better as a sub-table of its entity:

    [[entity]]
    name = "sparks"
    [entity.particle_emitter]
    rate = 200
    color_over_life = [[0.0, [1, 0.6, 0.2, 1]], [1.0, [0.3, 0.1, 0.05, 0]]]

Curve times are fractions of each particle's lifetime (0..1, increasing); values are linear between keys and held
outside them. Emitters, force fields and colliders follow their entity's transform.
"""

from __future__ import annotations

import zlib

from components.particles import (
    EmitterShape,
    Falloff,
    ForceField,
    ForceKind,
    ParticleAppearance,
    ParticleBlend,
    ParticleEmitter,
    SphereCollider,
)
from engine.assets.library import AssetLibrary
from engine.errors import AssetError
from engine.scene_schema import SceneComponentType, boolean, choice, color, custom, integer, number, string, vec3
from systems.particles.bursts import ParticleBursts
from systems.particles.curves import color_over_life, size_over_life
from systems.particles.mesh_surfaces import EmitterSurfaces
from systems.particles.pool import ParticleBudgetError, ParticlePool
from systems.particles.textures import ParticleTextures


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _number_or_range(minimum: float, *, positive: bool = False):
    """A number, or [min, max] with min <= max; each >= minimum (> when positive). Gives (low, high)."""
    def check(value, where, ctx):
        pair = value if isinstance(value, list) else [value, value]
        if len(pair) != 2 or not all(_is_number(v) for v in pair):
            raise ctx.fail(where, f"expected a number or [min, max], got {value!r}")
        for v in pair:
            if v < minimum or (positive and v <= minimum):
                raise ctx.fail(where, f"must be {'>' if positive else '>='} {minimum:g}, got {v!r}")
        if pair[0] > pair[1]:
            raise ctx.fail(where, f"min must not exceed max, got {value!r}")
        return float(pair[0]), float(pair[1])
    return check


def _curve(widths: tuple[int, ...], shape: str):
    """Keys [[t, value], ...] with t in 0..1 increasing; value a number (widths (1,)) or a list of a given length."""
    def check(value, where, ctx):
        if not isinstance(value, list) or not value:
            raise ctx.fail(where, f"expected a list of [t, {shape}] keys, t in 0..1")
        keys = []
        for i, key in enumerate(value):
            ok = isinstance(key, list) and len(key) == 2 and _is_number(key[0]) and 0.0 <= key[0] <= 1.0
            item = key[1] if ok else None
            if widths == (1,):
                ok = ok and _is_number(item) and item >= 0
            else:
                ok = ok and isinstance(item, list) and len(item) in widths and all(_is_number(v) and v >= 0 for v in item)
            if not ok:
                raise ctx.fail(f"{where}[{i}]", f"expected [t, {shape}] with t in 0..1 and values >= 0, got {key!r}")
            if keys and key[0] <= keys[-1][0]:
                raise ctx.fail(f"{where}[{i}]", f"key times must increase, {key[0]!r} follows {keys[-1][0]!r}")
            keys.append((float(key[0]), float(item) if widths == (1,) else [float(v) for v in item]))
        return keys
    return check


def _bursts(value, where, ctx):
    if not isinstance(value, list):
        raise ctx.fail(where, "expected a list of [time, count] bursts")
    bursts = []
    for i, burst in enumerate(value):
        if not (isinstance(burst, list) and len(burst) == 2 and _is_number(burst[0]) and burst[0] >= 0
                and isinstance(burst[1], int) and not isinstance(burst[1], bool) and burst[1] >= 1):
            raise ctx.fail(f"{where}[{i}]", f"expected [time >= 0, count >= 1], got {burst!r}")
        bursts.append((float(burst[0]), int(burst[1])))
    return bursts


def _flipbook(value, where, ctx):
    if not (isinstance(value, list) and len(value) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in value)):
        raise ctx.fail(where, f"expected [columns, rows], integers >= 1, got {value!r}")
    return [int(v) for v in value]


def _mesh_surface(loader, build, v, ctx) -> int:
    library = loader.world.resource(AssetLibrary)
    if v["mesh"] is not None:
        handle = library.load(loader.resolve_asset(v["mesh"], ctx, "particle_emitter.mesh"))
    elif build.model is not None:
        handle = build.model["handle"]
    else:
        raise ctx.fail("particle_emitter.mesh", "a mesh emitter needs a mesh file, or a model or shape on the entity")
    try:
        return loader.world.resource(EmitterSurfaces).add_model(library[handle])
    except ValueError as exc:
        raise ctx.fail("particle_emitter.mesh", str(exc)) from None


def _texture(loader, v, ctx) -> int:
    if v["texture"] is None:
        return -1
    path = loader.resolve_asset(v["texture"], ctx, "particle_emitter.texture")
    try:
        return loader.world.resource(ParticleTextures).load(path)
    except AssetError as exc:
        raise ctx.fail("particle_emitter.texture", exc.message) from None


def _apply_particle_emitter(loader, build, v, ctx):
    world = loader.world
    shape = EmitterShape[v["shape"].upper()]
    if v["mesh"] is not None and shape is not EmitterShape.MESH:
        raise ctx.fail("particle_emitter.mesh", 'only a mesh emitter uses a mesh (shape = "mesh")')
    if v["emit_stop"] is not None and v["emit_stop"] <= v["emit_start"]:
        raise ctx.fail("particle_emitter.emit_stop", f"must be after emit_start, got {v['emit_stop']:g}")
    if min(v["box_size"]) < 0:
        raise ctx.fail("particle_emitter.box_size", f"extents must be >= 0, got {v['box_size']!r}")
    for i, (_, count) in enumerate(v["bursts"]):
        if count > v["capacity"]:
            raise ctx.fail(f"particle_emitter.bursts[{i}]", f"{count} particles exceed the capacity of {v['capacity']}")
    surface = _mesh_surface(loader, build, v, ctx) if shape is EmitterShape.MESH else -1
    texture = _texture(loader, v, ctx)
    burst_first, burst_count = world.resource(ParticleBursts).add(v["bursts"])
    try:
        segment = world.resource(ParticlePool).allocate(v["capacity"])
    except ParticleBudgetError as exc:
        raise ctx.fail("particle_emitter.capacity", str(exc)) from None
    colors = v["color_over_life"] or [(0.0, v["color"])]
    build.components.append(ParticleEmitter(
        segment=segment, capacity=v["capacity"], rate=v["rate"], emit_start=v["emit_start"],
        emit_stop=float("inf") if v["emit_stop"] is None else v["emit_stop"], burst_first=burst_first,
        burst_count=burst_count, shape=shape, radius=v["radius"], box_size=v["box_size"], cone_angle=v["cone_angle"],
        surface=surface, speed_min=v["speed"][0], speed_max=v["speed"][1], spread=v["spread"],
        inherit_velocity=v["inherit_velocity"], lifetime_min=v["lifetime"][0], lifetime_max=v["lifetime"][1],
        size_min=v["size"][0], size_max=v["size"][1],
        seed=zlib.crc32(build.name.encode()) if v["seed"] is None else v["seed"], respawn=v["respawn"],
        gravity=v["gravity"], drag=v["drag"], wind=v["wind"], turbulence=v["turbulence"],
        turbulence_scale=v["turbulence_scale"], collide=v["collide"], restitution=v["restitution"],
        friction=v["friction"],
    ))
    build.components.append(ParticleAppearance(
        blend=ParticleBlend[v["blend"].upper()], emissive=v["emissive"], texture=texture, flipbook=v["flipbook"],
        stretch=v["stretch"], softness=v["softness"],
        color_over_life=color_over_life(colors, v["opacity_over_life"] or [(0.0, 1.0)]),
        size_over_life=size_over_life(v["size_over_life"] or [(0.0, 1.0)]),
    ))


def _apply_force_field(loader, build, v, ctx):
    build.components.append(ForceField(kind=ForceKind[v["kind"].upper()], strength=v["strength"], radius=v["radius"],
                                       falloff=Falloff[v["falloff"].upper()]))


def _apply_sphere_collider(loader, build, v, ctx):
    build.components.append(SphereCollider(radius=v["radius"], restitution=v["restitution"], friction=v["friction"]))


EMITTER_RULES = {
    "capacity": integer(1000, minimum=1),
    "rate": number(0.0, minimum=0),
    "emit_start": number(0.0, minimum=0),
    "emit_stop": number(None, minimum=0),
    "bursts": custom(_bursts, []),
    "shape": choice("point", "sphere", "box", "cone", "mesh", default="point"),
    "radius": number(0.0, minimum=0),
    "box_size": vec3([1.0, 1.0, 1.0]),
    "cone_angle": number(25.0, minimum=0, maximum=90),
    "mesh": string(None),
    "speed": custom(_number_or_range(0.0), (1.0, 1.0)),
    "spread": number(0.0, minimum=0, maximum=180),
    "inherit_velocity": number(0.0),
    "lifetime": custom(_number_or_range(0.0, positive=True), (1.0, 1.0)),
    "size": custom(_number_or_range(0.0), (0.1, 0.1)),
    "seed": integer(None, minimum=0, maximum=2**32 - 1),
    "respawn": boolean(False),
    "gravity": vec3([0.0, -9.81, 0.0]),
    "drag": number(0.0, minimum=0),
    "wind": vec3([0.0, 0.0, 0.0]),
    "turbulence": number(0.0, minimum=0),
    "turbulence_scale": number(1.0, positive=True),
    "collide": boolean(True),
    "restitution": number(0.3, minimum=0, maximum=1),
    "friction": number(0.2, minimum=0, maximum=1),
    "blend": choice("additive", "alpha", default="additive"),
    "emissive": number(1.0, minimum=0),
    "texture": string(None),
    "flipbook": custom(_flipbook, [1, 1]),
    "stretch": number(0.0, minimum=0),
    "softness": number(0.25, minimum=0),
    "color": color([1.0, 1.0, 1.0, 1.0]),
    "color_over_life": custom(_curve((3, 4), "[r, g, b(, a)]")),
    "size_over_life": custom(_curve((1,), "multiplier")),
    "opacity_over_life": custom(_curve((1,), "opacity")),
}

PARTICLE_SCENE_COMPONENTS = [
    SceneComponentType("particle_emitter", EMITTER_RULES, _apply_particle_emitter),
    SceneComponentType("force_field", {"kind": choice("attractor", "vortex", default="attractor"),
                                       "strength": number(1.0), "radius": number(1.0, positive=True),
                                       "falloff": choice("constant", "linear", "smooth", default="smooth")},
                       _apply_force_field),
    SceneComponentType("sphere_collider", {"radius": number(0.5, positive=True),
                                           "restitution": number(0.3, minimum=0, maximum=1),
                                           "friction": number(0.2, minimum=0, maximum=1)}, _apply_sphere_collider),
]
