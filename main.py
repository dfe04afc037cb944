#!/usr/bin/env python3
"""Moviola command line: play, render, view, capture, retarget, train, info and bench.

    python main.py                     the demo: a window if there is a display, else out/demo.mp4
    python main.py play SCENE          interactive playback in a window
    python main.py render SCENE --out PATH [--frames N | --seconds S] [--fps F] [--size WxH] [--camera NAME] [--start T]
                                       [--take TAKE [--character NAME]]
    python main.py view FILE [--clip NAME] [--character MODEL] [render flags]   a model, a BVH/take/Live Link CSV,
                                       or a trained effect (.pt)
    python main.py capture SOURCE --out TAKE [--face] [--pose] [--hands]      a video, images or a camera index
    python main.py retarget INPUT --to CHARACTER --out OUT.bvh|.glb|.csv
    python main.py train effect --exemplar IMAGE --out EFFECT.pt [--minutes M | --iters N] [--size 64] [--seed S]
    python main.py info FILE           one JSON object: take, BVH, Live Link CSV, scene or model
    python main.py bench ecs|render|particles|capture|effects [--json] [--count N] [--threads T] [--size N]

Bad input (missing or malformed files, invalid scene values) prints one line
naming the file and the problem and exits with status 2.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from engine.cli.arguments import parse_arguments
    from engine.errors import InputError

    args = parse_arguments(argv)
    try:
        return args.handler(args)
    except InputError as error:
        print(f"moviola: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("moviola: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
