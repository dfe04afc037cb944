"""Placement in the world and in the entity hierarchy."""

from engine.component import EntityRef, Mat4, Quat, Vec3, component


@component
class Transform:
    """Local placement relative to the parent (or the world when there is none)."""

    translation: Vec3
    rotation: Quat = (0.0, 0.0, 0.0, 1.0)  # x, y, z, w
    scale: Vec3 = (1.0, 1.0, 1.0)


@component
class GlobalTransform:
    """World matrix written by `propagate_transforms` (GL layout: row vectors, M[3,:3] = translation)."""

    matrix: Mat4 = ((1, 0, 0, 0), (0, 1, 0, 0), (0, 0, 1, 0), (0, 0, 0, 1))


@component
class Parent:
    """Hierarchy link. Set with insert/remove (structural), not by writing the column."""

    entity: EntityRef = -1
