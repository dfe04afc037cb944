"""`main.py info FILE` for capture files: a plain-JSON summary of a take, a Live Link Face CSV or a BVH file.

Durations are first frame to last frame; `fps` is the header's nominal rate for takes, the measured sampling rate
for Live Link CSVs and `1 / Frame Time` for BVH.
"""

from __future__ import annotations

import os
from pathlib import Path

from engine.errors import InputError


def describe_file(path: str | os.PathLike) -> dict:
    """A JSON-ready summary of a capture file, chosen by its extension (`.take`, `.csv`, `.bvh`)."""
    path = Path(path)
    describers = {".take": _describe_take, ".csv": _describe_livelink, ".bvh": _describe_bvh}
    describer = describers.get(path.suffix.lower())
    if describer is None:
        raise InputError(path, f"unknown capture file type {path.suffix or '(no extension)'!r} "
                               f"(expected .take, .csv or .bvh)")
    return describer(path)


def _describe_take(path: Path) -> dict:
    from engine.capture.take import read_take

    take = read_take(path)
    return {
        "kind": "take",
        "frames": take.frame_count,
        "duration_s": round(take.duration_s, 6),
        "fps": take.fps,
        "source": take.source,
        "channels": {
            name: {"shape": list(spec.shape), "kind": spec.kind, "present_frames": int(take.present[name].sum())}
            for name, spec in take.specs.items()
        },
    }


def _describe_livelink(path: Path) -> dict:
    from engine.capture.livelink import has_head_motion, read_livelink_csv

    track = read_livelink_csv(path)
    return {
        "kind": "livelink",
        "frames": track.frame_count,
        "duration_s": round(track.duration_s, 6),
        "fps": round(track.fps, 3),
        "blendshapes": len(track.names),
        "head": has_head_motion(track),
    }


def _describe_bvh(path: Path) -> dict:
    from engine.capture.bvh import read_bvh  # a sibling module; imported only when a BVH is described

    motion = read_bvh(path)
    roots = [name for name, parent in zip(motion.names, motion.parents.tolist()) if parent < 0]
    frame_time = float(motion.frame_time)
    return {
        "kind": "bvh",
        "joints": len(motion.names),
        "frames": int(motion.frame_count),
        "duration_s": round(max(motion.frame_count - 1, 0) * frame_time, 6),
        "fps": round(1.0 / frame_time, 3) if frame_time > 0 else 0.0,
        "root": roots[0] if roots else (motion.names[0] if motion.names else None),
    }
