"""Capture-driven characters: which recorded or live performance drives a model instance."""

from engine.component import F64, I32, component


@component
class CaptureBinding:
    """The character plays a retargeted recording (take, BVH, Live Link CSV, captured video):
    `clip` is the asset-local clip its AnimationPlayer plays, starting at scene time `start`."""

    clip: I32 = -1
    start: F64 = 0.0


@component
class LiveCapture:
    """The character follows a live source (camera) through `LiveCaptureSessions[session]`."""

    session: I32 = -1
