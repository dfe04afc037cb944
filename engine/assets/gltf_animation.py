"""glTF animations -> `AnimationClip`s with values shaped as `AnimationChannel` documents.

LINEAR/STEP values are (K, C); CUBICSPLINE values are (K, 3, C) as
(in_tangent, value, out_tangent). Rotation values come out as unit float
quaternions whatever their stored type (normalized integers are common in
quantized files).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.assets.gltf_accessors import read_accessor
from engine.assets.gltf_document import GltfDocument
from engine.assets.model import AnimationChannel, AnimationClip

PATH_WIDTHS = {"translation": 3, "rotation": 4, "scale": 3, "weights": None}
INTERPOLATIONS = ("LINEAR", "STEP", "CUBICSPLINE")


def read_animations(doc: GltfDocument) -> list[AnimationClip]:
    clips = []
    for index, spec in enumerate(doc.items("animations")):
        label = f"animations[{index}]" + (f" '{spec['name']}'" if spec.get("name") else "")
        samplers = spec.get("samplers", [])
        channels = [
            channel
            for number, channel_spec in enumerate(spec.get("channels", []))
            if (channel := _read_channel(doc, channel_spec, samplers, f"{label} channel {number}")) is not None
        ]
        extras = spec.get("extras")
        clips.append(AnimationClip(name=spec.get("name") or f"animation{index}", channels=channels,
                                   extras=dict(extras) if isinstance(extras, dict) else {}))
    return clips


def _read_channel(doc: GltfDocument, spec: dict[str, Any], samplers: list, label: str) -> AnimationChannel | None:
    target = spec.get("target", {})
    path = target.get("path")
    if "node" not in target or path not in PATH_WIDTHS:
        doc.warn(f"{label} animates {path!r} without a node target this loader understands; skipped")
        return None
    node = doc.index("nodes", target["node"], label)
    sampler_index = spec.get("sampler")
    if not isinstance(sampler_index, int) or not 0 <= sampler_index < len(samplers):
        doc.fail(f"{label} refers to sampler {sampler_index!r} but the animation has {len(samplers)}")
    sampler = samplers[sampler_index]
    interpolation = sampler.get("interpolation", "LINEAR")
    if interpolation not in INTERPOLATIONS:
        doc.fail(f"{label} has unknown interpolation {interpolation!r}")

    times = read_accessor(doc, sampler.get("input"), f"{label} input")
    if times.ndim != 1:
        doc.fail(f"{label} input (keyframe times) must be a SCALAR accessor")
    times = times.astype(np.float32)
    if len(times) == 0:
        doc.warn(f"{label} has no keyframes; skipped")
        return None
    if np.any(np.diff(times) < 0):
        doc.warn(f"{label} keyframe times are not ascending")

    values = read_accessor(doc, sampler.get("output"), f"{label} output").astype(np.float32).reshape(-1)
    samples_per_key = 3 if interpolation == "CUBICSPLINE" else 1
    width = PATH_WIDTHS[path] or values.size // max(len(times) * samples_per_key, 1)
    if width == 0 or values.size != len(times) * samples_per_key * width:
        doc.fail(
            f"{label} output has {values.size} numbers, which does not fit {len(times)} {interpolation} keys of {path}"
        )
    values = values.reshape(len(times), samples_per_key, width) if samples_per_key == 3 else values.reshape(-1, width)
    if path == "rotation":
        _normalize_quaternions(values[:, 1] if samples_per_key == 3 else values)
    return AnimationChannel(node=node, path=path, interpolation=interpolation, times=times, values=values)


def _normalize_quaternions(quaternions: np.ndarray) -> None:
    """Unit length in place; zero quaternions become identity."""
    lengths = np.linalg.norm(quaternions, axis=-1, keepdims=True)
    quaternions[:] = np.where(lengths > 0, quaternions / np.where(lengths > 0, lengths, 1), [0, 0, 0, 1])
