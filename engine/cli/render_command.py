"""`main.py render` and the main job (demo in a window, or to out/demo.mp4 when headless)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from engine.cli.scene_session import HeadlessOutput, build_scene_app, choose_camera, frame_times


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
    print(f"wrote {len(times)} frames to {out}", file=sys.stderr)


def run(args) -> int:
    app, info = build_scene_app(args.scene, args.size, args.particle_path)
    choose_camera(app, args.camera, args.scene)
    fps = args.fps or info.fps
    times = frame_times(args.start, fps, frame_count(args, info.duration, fps))
    render_app_to(app, args.size, args.out, times, fps, Path(args.scene).name)
    return 0


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
