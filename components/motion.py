"""Scripted motion from the scene's timeline: keyframed paths and look-at aiming."""

from engine.component import I32, Bool, EntityRef, Vec3, component


@component
class PathFollower:
    """Moves the entity along a keyframed path from the TrackLibrary."""

    track: I32 = -1
    face_travel: Bool = False  # yaw the entity to face along the path (walking characters)


@component
class LookAt:
    """Aims the entity's -Z axis at another entity (plus offset) or, with no target, at `point`."""

    target: EntityRef = -1
    offset: Vec3 = (0.0, 0.0, 0.0)
    point: Vec3 = (0.0, 0.0, 0.0)


@component
class Velocity:
    """Linear velocity in m/s, integrated at the fixed simulation rate."""

    linear: Vec3
