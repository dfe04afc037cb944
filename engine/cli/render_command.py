"""`main.py render` and the main job (demo in a window, or to out/demo.mp4 when headless)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from engine.cli.scene_session import HeadlessOutput, build_scene_app, choose_camera, frame_times
from engine.errors import InputError


def frame_count(args, duration: float, fps: float) -> int:
    if args.frames:
        return args.frames
    seconds = args.seconds if args.seconds else max(duration - args.start, 1.0 / fps)
    return max(1, int(round(seconds * fps)))


def render_app_to(app, size, out: str, times, fps: float, label: str) -> None:
    """Render the given frame times into a video file or PNG directory, with a progress bar."""
    from tqdm import tqdm

    from engine.video_output import open_frame_sink

    headless = HeadlessOutput.attach(app, size)
    sink = open_frame_sink(out, fps, size[0], size[1])
    try:
        for time in tqdm(times, desc=label, unit="frame", file=sys.stderr, leave=True,
                         disable=os.environ.get("MOVIOLA_NO_PROGRESS") == "1"):
            sink.write(headless.frame_at(app, float(time)))
        sink.close()
    except BaseException:
        sink.abort()  # leave no half-written file in place of a good one
        raise
    finally:
        headless.release()
        app.close()
    print(f"wrote {len(times)} frames to {out}", file=sys.stderr)


def run(args) -> int:
    app, info = build_scene_app(args.scene, args.size, args.particle_path)
    try:
        choose_camera(app, args.camera, args.scene)
        if args.take:
            bind_take(app, args.take, args.character, args.scene)
    except BaseException:
        app.close()
        raise
    fps = args.fps or info.fps
    times = frame_times(args.start, fps, frame_count(args, info.duration, fps))
    render_app_to(app, args.size, args.out, times, fps, Path(args.scene).name)
    return 0


def bind_take(app, take: str, character: str | None, scene: str) -> None:
    """`render --take`: the take drives `character`, else the scene's capture-bound characters,
    else its first character with a humanoid skeleton; from scene time 0."""
    from components.capture import CaptureBinding
    from components.model import ModelInstance
    from engine.assets.library import AssetLibrary
    from engine.capture.humanoid import detect_bone_map
    from engine.errors import AssetError
    from systems.capture.bind import bind_performance
    from systems.capture.performance import load_performance
    from systems.rendering.view_settings import EntityNames

    world = app.world
    names = world.resource(EntityNames).by_name
    models = {name: entity for name, entity in sorted(names.items()) if world.has(entity, ModelInstance)}
    if character is not None:
        if character not in models:
            raise InputError(scene, f"no character named '{character}' (models: {', '.join(models) or 'none'})")
        targets = [models[character]]
    else:
        targets = [entity for entity in models.values() if world.has(entity, CaptureBinding)]
        if not targets:
            library = world.resource(AssetLibrary)
            for entity in models.values():
                try:
                    detect_bone_map(library[int(world.get(entity, ModelInstance.model))].asset)
                except AssetError:
                    continue
                targets = [entity]
                break
        if not targets:
            raise InputError(scene, "no character with a humanoid skeleton to drive with the take (see --character)")
    performance = load_performance(take)
    for entity in targets:
        bind_performance(world, entity, performance)


def has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run_main_job(args) -> int:
    """No subcommand: play the demo where there is a display, else render it to out/demo.mp4."""
    from engine.cli.arguments import DEMO_OUTPUT, DEMO_SCENE, parse_arguments

    if has_display():
        from engine.cli import play_command

        try:
            return play_command.run(parse_arguments(["play", DEMO_SCENE]))
        except play_command.WindowUnavailable as reason:
            print(f"moviola: no usable window ({reason}); rendering to {DEMO_OUTPUT} instead", file=sys.stderr)
    Path(DEMO_OUTPUT).parent.mkdir(parents=True, exist_ok=True)
    return run(parse_arguments(["render", DEMO_SCENE, "--out", DEMO_OUTPUT]))
