"""`main.py retarget INPUT --to CHARACTER.glb --out OUT.bvh|.glb`: a recording onto a character's skeleton."""

from __future__ import annotations

import sys
from pathlib import Path

from engine.errors import InputError


def run(args) -> int:
    from engine.assets import load_model
    from systems.capture.export import export_performance
    from systems.capture.performance import load_performance

    if not Path(args.to).exists():
        raise InputError(args.to, "file not found")
    performance = load_performance(args.input)
    character = load_model(args.to)
    bone_map = dict(pair.split("=", 1) for pair in args.bone) if args.bone else None
    frames = export_performance(performance, character, args.out, bone_map)
    print(f"moviola: wrote {args.out} ({frames} frames, {Path(args.to).name})", file=sys.stderr)
    return 0
