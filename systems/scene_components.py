"""The scene-file keys of the core domains: what `[[entity]]` tables may contain.

Each key has field rules (validated with file/entity/field errors) and an
`apply` that turns the validated values into components on the entity build.
"""

from __future__ import annotations

import numpy as np

from components.camera import Camera
from components.light import AmbientLight, DirectionalLight, PointLight
from components.model import ClipCues
from components.motion import LookAt, PathFollower
from components.transform import Transform
from engine.assets.library import AssetLibrary
from engine.assets.model import Material
from engine.assets.shapes import shape_asset
from engine.math_kernels import quat_from_euler_degrees
from engine.scene_schema import (
    SceneComponentType,
    boolean,
    choice,
    color,
    cues,
    integer,
    keys,
    number,
    string,
    vec3,
)
from systems.animation.clip_cues import CueLibrary
from systems.animation.track_library import TrackLibrary

# Common filmbacks in millimetres (width, height).
SENSORS = {
    "full_frame": (36.0, 24.0),
    "super35": (24.89, 18.66),
    "alexa_lf": (36.70, 25.54),
    "alexa_mini": (28.25, 18.17),
    "micro_four_thirds": (17.3, 13.0),
    "iphone_wide": (9.8, 7.3),
}


def _rgba(values) -> list[float]:
    return list(values) + [1.0] if len(values) == 3 else list(values)


def _apply_transform(loader, build, v, ctx):
    scale = v["scale"]
    if isinstance(scale, (int, float)):
        scale = [scale] * 3
    build.components.append(Transform(translation=v["translation"], rotation=quat_from_euler_degrees(v["rotation"]),
                                      scale=scale))


def _apply_model(loader, build, v, ctx):
    if build.model is not None:
        raise ctx.fail("model", "an entity has either a model or a shape, not both")
    path = loader.resolve_asset(v["path"], ctx, "model.path")
    handle = loader.world.resource(AssetLibrary).load(path)
    build.model = {"handle": handle, "tint": _rgba(v["tint"]), "cast_shadows": v["cast_shadows"]}


def _apply_shape(loader, build, v, ctx):
    if build.model is not None:
        raise ctx.fail("shape", "an entity has either a model or a shape, not both")
    kind = v["kind"]
    params = {"box": {"size": tuple(v["size"])}, "sphere": {"radius": v["radius"]},
              "cylinder": {"radius": v["radius"], "height": v["height"]}, "plane": {"size": (v["size"][0], v["size"][2])}}[kind]
    rgba = _rgba(v["color"])
    emissive = v["emissive"]
    key = f"<shape {kind} {sorted(params.items())} {rgba} {v['metallic']} {v['roughness']} {emissive}>"
    material = Material(name=f"{kind} material", base_color=np.array(rgba, np.float32), metallic=v["metallic"],
                        roughness=v["roughness"], emissive=np.array(emissive, np.float32),
                        alpha_mode="BLEND" if rgba[3] < 1.0 else "OPAQUE")
    library = loader.world.resource(AssetLibrary)
    handle = library.add(shape_asset(kind, material, **params), key=key)
    build.model = {"handle": handle, "tint": [1.0, 1.0, 1.0, 1.0], "cast_shadows": v["cast_shadows"]}


def _apply_animation(loader, build, v, ctx):
    if build.model is None:
        raise ctx.fail("animation", "needs a model on the same entity (write the model table first)")
    model = loader.world.resource(AssetLibrary)[build.model["handle"]]
    clip = v["clip"]
    names = [c.name for c in model.asset.animations]
    if not names:
        raise ctx.fail("animation.clip", f"the model {model.asset.path} has no animations")
    index = model.clip_index(clip)
    if index is None:
        raise ctx.fail("animation.clip", f"no clip named {clip!r} (clips: {', '.join(names)})")
    build.animation = {"clip": index, "speed": v["speed"], "start": v["start"], "offset": v["offset"], "loop": v["loop"]}
    if v["cues"]:
        cue_clips = []
        for i, (_, cue_clip) in enumerate(v["cues"]):
            cue_index = model.clip_index(cue_clip)
            if cue_index is None:
                raise ctx.fail(f"animation.cues[{i}]", f"no clip named {cue_clip!r} (clips: {', '.join(names)})")
            cue_clips.append(cue_index)
        first, count = loader.world.resource(CueLibrary).add([c[0] for c in v["cues"]], cue_clips)
        build.components.append(ClipCues(first=first, count=count))


def _apply_path(loader, build, v, ctx):
    tracks = loader.world.resource(TrackLibrary)
    track = tracks.add([k[0] for k in v["keys"]], [k[1] for k in v["keys"]], smooth=v["smooth"])
    build.components.append(PathFollower(track=track, face_travel=v["face_travel"]))


def _apply_camera(loader, build, v, ctx):
    width, height = SENSORS[v["sensor"]]
    width = v["sensor_width_mm"] or width
    height = v["sensor_height_mm"] or height
    if v["near"] >= v["far"]:
        raise ctx.fail("camera.near", f"must be less than far ({v['near']:g} >= {v['far']:g})")
    build.components.append(Camera(focal_length_mm=v["focal_length_mm"], sensor_width_mm=width, sensor_height_mm=height,
                                   near=v["near"], far=v["far"], exposure=v["exposure"], priority=v["priority"]))


def _apply_look_at(loader, build, v, ctx):
    if v["target"] is None and v["point"] is None:
        raise ctx.fail("look_at", "needs a target (entity name) or a point [x, y, z]")
    build.look_at_target = v["target"]
    build.components.append(LookAt(point=v["point"] or [0.0, 0.0, 0.0], offset=v["offset"]))


def _simple(component):
    def apply(loader, build, v, ctx):
        build.components.append(component(**{k: val for k, val in v.items()}))
    return apply


CORE_SCENE_COMPONENTS = [
    SceneComponentType("transform", {"translation": vec3([0.0, 0.0, 0.0]), "rotation": vec3([0.0, 0.0, 0.0]),
                                     "scale": number(1.0, positive=True)}, _apply_transform),
    SceneComponentType("model", {"path": string(required=True), "tint": color([1.0, 1.0, 1.0, 1.0]),
                                 "cast_shadows": boolean(True)}, _apply_model),
    SceneComponentType("shape", {"kind": choice("box", "sphere", "cylinder", "plane", default="box"),
                                 "size": vec3([1.0, 1.0, 1.0]), "radius": number(0.5, positive=True),
                                 "height": number(1.0, positive=True), "color": color([0.8, 0.8, 0.8]),
                                 "metallic": number(0.0, minimum=0, maximum=1), "roughness": number(0.6, minimum=0, maximum=1),
                                 "emissive": color([0.0, 0.0, 0.0]), "cast_shadows": boolean(True)}, _apply_shape),
    SceneComponentType("animation", {"clip": string(None), "speed": number(1.0), "start": number(0.0),
                                     "offset": number(0.0), "loop": boolean(True), "cues": cues()}, _apply_animation),
    SceneComponentType("path", {"keys": keys(required=True), "smooth": boolean(True), "face_travel": boolean(False)},
                       _apply_path),
    SceneComponentType("camera", {"focal_length_mm": number(35.0, positive=True, maximum=2000),
                                  "sensor": choice(*SENSORS, default="full_frame"),
                                  "sensor_width_mm": number(None, positive=True), "sensor_height_mm": number(None, positive=True),
                                  "near": number(0.05, positive=True), "far": number(500.0, positive=True),
                                  "exposure": number(1.0, positive=True), "priority": integer(0)}, _apply_camera),
    SceneComponentType("look_at", {"target": string(None), "point": vec3(None), "offset": vec3([0.0, 0.0, 0.0])},
                       _apply_look_at),
    SceneComponentType("directional_light", {"color": color([1.0, 0.95, 0.88]), "intensity": number(3.0, minimum=0),
                                             "cast_shadows": boolean(True)}, _simple(DirectionalLight)),
    SceneComponentType("ambient_light", {"sky_color": color([0.55, 0.65, 0.8]), "ground_color": color([0.25, 0.22, 0.2]),
                                         "intensity": number(0.6, minimum=0)}, _simple(AmbientLight)),
    SceneComponentType("point_light", {"color": color([1.0, 0.8, 0.6]), "intensity": number(10.0, minimum=0),
                                       "range": number(10.0, positive=True)}, _simple(PointLight)),
]
