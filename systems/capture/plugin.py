"""Capture domain: recorded performances bound to characters at load, live sources polled each frame."""

from engine.scene_file import SceneRegistry
from engine.schedule import Phase
from systems.rendering.plugin import scene_plugin
from systems.capture.live import LiveCaptureSessions, apply_live_capture, poll_live_capture
from systems.capture.scene_keys import CAPTURE_SCENE_COMPONENTS


def capture_plugin(app) -> None:
    app.add_plugin(scene_plugin)
    world = app.world
    if world.get_resource(LiveCaptureSessions) is None:
        sessions = LiveCaptureSessions()
        world.insert_resource(sessions)
        app.on_close(sessions.close)  # trackers and cameras are released deterministically, not at exit
    registry = world.resource(SceneRegistry)
    for component_type in CAPTURE_SCENE_COMPONENTS:
        registry.register(component_type)
    registry.finishers.append(_bind_live_characters)
    app.add_system(poll_live_capture, Phase.CAPTURE)
    app.add_system(apply_live_capture, Phase.ANIMATE, after="sample_animation_clips", before="compute_pose_matrices")


def _bind_live_characters(loader, document) -> None:
    sessions = loader.world.resource(LiveCaptureSessions)
    for build in loader.builds:
        live = getattr(build, "live_capture", None)
        if live is not None:
            session, model, bone_map = live
            sessions.bind(session, build.entity, model, bone_map)
