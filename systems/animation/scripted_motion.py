"""Timeline motion: entities following keyframed paths, and look-at aiming."""

from __future__ import annotations

import numpy as np

from components.motion import LookAt, PathFollower
from components.transform import GlobalTransform, Transform
from engine.clock import Clock
from engine.query import Query, Read, Write
from engine.schedule import Res, WorldAccess
from systems.animation.track_library import TrackLibrary, evaluate_tracks


def follow_paths(
    followers: Query[Read[PathFollower], Write[Transform]],
    tracks: Res[TrackLibrary],
    clock: Res[Clock],
):
    for view in followers:
        ids = view[PathFollower.track]
        position = view[Transform.translation]
        tangent = np.empty_like(position)
        evaluate_tracks(ids, clock.time, tracks.start, tracks.count, tracks.smooth, tracks.times, tracks.positions,
                        position, tangent)
        face = view[PathFollower.face_travel] & (np.abs(tangent[:, 0]) + np.abs(tangent[:, 2]) > 1e-6)
        if face.any():
            # yaw about +Y so the entity's +Z (glTF forward) points along the horizontal travel
            yaw = np.arctan2(tangent[:, 0], tangent[:, 2])
            rotation = view[Transform.rotation]
            rotation[face] = np.stack([np.zeros_like(yaw), np.sin(yaw / 2), np.zeros_like(yaw), np.cos(yaw / 2)], axis=1)[face]


def aim_look_at(
    aimers: Query[Read[LookAt], Write[Transform], Write[GlobalTransform]],
    world: WorldAccess,
):
    """Point -Z at the target. Runs after propagation and patches the world matrix too,
    so the camera is aimed this frame (aimers are expected to be hierarchy roots)."""
    for view in aimers:
        matrices = view[GlobalTransform.matrix]
        eye = matrices[:, 3, :3]
        target = np.array(view[LookAt.point], np.float32)
        target_ids = view[LookAt.target]
        has_target = world.entities.alive_mask(target_ids)
        if has_target.any():
            target[has_target] = _world_positions(world, target_ids[has_target])
        target += view[LookAt.offset]
        forward = target - eye
        distance = np.linalg.norm(forward, axis=1, keepdims=True)
        aimed = distance[:, 0] > 1e-6  # an aimer sitting on its target keeps its orientation
        if not aimed.all():
            matrices, forward, distance = matrices[aimed], forward[aimed], distance[aimed]
        z = -forward / distance
        x = np.cross(np.array([0.0, 1.0, 0.0], np.float32), z)
        degenerate = np.linalg.norm(x, axis=1) < 1e-6
        x[degenerate] = np.cross(np.array([0.0, 0.0, 1.0], np.float32), z[degenerate])
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        y = np.cross(z, x)
        scale = np.linalg.norm(matrices[:, :3, :3], axis=2)
        matrices[:, 0, :3] = x * scale[:, 0:1]
        matrices[:, 1, :3] = y * scale[:, 1:2]
        matrices[:, 2, :3] = z * scale[:, 2:3]
        if aimed.all():
            view[Transform.rotation] = _quats_from_axes(x, y, z)
        else:
            view[GlobalTransform.matrix][aimed] = matrices  # boolean indexing copied; write back
            view[Transform.rotation][aimed] = _quats_from_axes(x, y, z)


def _world_positions(world, entities: np.ndarray) -> np.ndarray:
    slots = entities & 0xFFFFFFFF
    tables = world.entities.table_of[slots]
    rows = world.entities.row_of[slots]
    out = np.zeros((len(entities), 3), np.float32)
    for table_id in np.unique(tables):
        mask = tables == table_id
        column = world.tables[table_id].columns.get(GlobalTransform.matrix)
        if column is not None:
            out[mask] = column[rows[mask], 3, :3]
    return out


def _quats_from_axes(x, y, z) -> np.ndarray:
    """Quaternions (x, y, z, w) of rotations whose rotated basis vectors are the rows x, y, z (vectorised)."""
    m00, m11, m22 = x[:, 0], y[:, 1], z[:, 2]
    # column-convention matrix entries m_ij = axis_j[i]
    m21, m12 = y[:, 2], z[:, 1]
    m02, m20 = z[:, 0], x[:, 2]
    m10, m01 = x[:, 1], y[:, 0]
    w = np.sqrt(np.maximum(0.0, 1.0 + m00 + m11 + m22)) / 2
    qx = np.copysign(np.sqrt(np.maximum(0.0, 1.0 + m00 - m11 - m22)) / 2, m21 - m12)
    qy = np.copysign(np.sqrt(np.maximum(0.0, 1.0 - m00 + m11 - m22)) / 2, m02 - m20)
    qz = np.copysign(np.sqrt(np.maximum(0.0, 1.0 - m00 - m11 + m22)) / 2, m10 - m01)
    return np.stack([qx, qy, qz, w], axis=1).astype(np.float32)
