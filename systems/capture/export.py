"""Motion leaving Moviola: a performance retargeted onto a character, as BVH or glTF; a face as Live Link CSV.

BVH gets the character's own skeleton (the hips and every bone below them), in metres,
Y up, facing +Z: the root carries the hips' world position and rotation, every other
joint its rotation relative to its parent, offsets from the rest pose. glTF gets the
character itself with the retargeted clip as its only animation.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np

from engine.assets.model import ModelAsset
from engine.capture.bvh import BvhMotion, quat_multiply, quat_rotate, write_bvh
from engine.errors import InputError
from systems.capture.bind import CLIP_FPS, BindParts, body_motion, performance_clip
from systems.capture.performance import Performance


def performance_bvh(performance: Performance, asset: ModelAsset, bone_map=None, fps: float = CLIP_FPS) -> BvhMotion:
    from systems.capture.retarget import RigTarget, retarget_motion

    if not performance.has_body:
        raise InputError(performance.path, "has no body motion to write as BVH (a face recording: write .glb)")
    rig = RigTarget.from_asset(asset, bone_map)
    pose = retarget_motion(body_motion(performance), rig, fps=fps)
    joints = [int(node) for node in rig.solve_nodes]  # the hips first, parents before children
    index_of = {node: i for i, node in enumerate(joints)}
    parents = np.array([index_of.get(int(rig.parents[node]), -1) if node != rig.hips_node else -1 for node in joints])
    frames = len(pose.times)

    def conj(q):
        return q * np.array([-1.0, -1.0, -1.0, 1.0])

    rest_rotation, rest_position = rig.rest_world_rotation, rig.rest_world_position
    offsets = np.zeros((len(joints), 3))
    local = np.zeros((frames, len(joints), 4))
    translations = np.zeros((frames, len(joints), 3))
    for i, node in enumerate(joints):
        parent = parents[i]
        if parent < 0:
            local[:, i] = pose.world_rotations[:, node]
            translations[:, i] = pose.world_positions[:, node]
            offsets[i] = rest_position[node]
            continue
        parent_node = joints[parent]
        local[:, i] = quat_multiply(conj(pose.world_rotations[:, parent_node]), pose.world_rotations[:, node])
        offsets[i] = quat_rotate(conj(rest_rotation[parent_node]), rest_position[node] - rest_position[parent_node])
        translations[:, i] = offsets[i]
    # Leaves get an End Site a short way along their bone, as BVH readers expect.
    leaves = [i for i in range(len(joints)) if i not in set(parents.tolist())]
    names = [rig.names[node] for node in joints]
    end_parents, end_offsets = [], []
    for leaf in leaves:
        direction = offsets[leaf] if np.linalg.norm(offsets[leaf]) > 1e-6 else np.array([0.0, 0.05, 0.0])
        end_parents.append(leaf)
        end_offsets.append(direction / np.linalg.norm(direction) * 0.05)
    count = len(leaves)
    return BvhMotion(
        names=names + [f"{names[leaf]}_end" for leaf in leaves],
        parents=np.concatenate([parents, end_parents]).astype(np.int32),
        offsets=np.concatenate([offsets, np.reshape(end_offsets, (count, 3))]),
        channels=[("Xposition", "Yposition", "Zposition", "Zrotation", "Yrotation", "Xrotation")]
        + [("Zrotation", "Yrotation", "Xrotation")] * (len(joints) - 1) + [()] * count,
        frame_time=1.0 / fps,
        local_rotations=np.concatenate([local, np.tile([0.0, 0.0, 0.0, 1.0], (frames, count, 1))], axis=1),
        translations=np.concatenate([translations, np.broadcast_to(np.reshape(end_offsets, (1, count, 3)),
                                                                   (frames, count, 3))], axis=1),
        end_site=np.array([False] * len(joints) + [True] * count),
        metres_per_unit=1.0,
        units="m",
    )


def export_performance(performance: Performance, asset: ModelAsset, out: str | Path, bone_map=None) -> int:
    """Write `out` (.bvh or .glb/.gltf); returns the number of frames written."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix == ".bvh":
        motion = performance_bvh(performance, asset, bone_map)
        write_bvh(out, motion)
        return motion.frame_count
    if suffix in (".glb", ".gltf"):
        from engine.assets.gltf_writer import write_gltf

        clip = performance_clip(performance, asset, Path(performance.path).stem, BindParts(), bone_map)
        character = copy.copy(asset)
        character.animations = [clip]
        write_gltf(character, out)
        return int(round(clip.duration * CLIP_FPS)) + 1
    if suffix == ".csv":
        return write_face_csv(performance, out)
    raise InputError(out, "the output must be a .bvh, .glb, .gltf or Live Link .csv file")


def write_face_csv(performance: Performance, out: Path) -> int:
    """The face as a Live Link Face CSV (ARKit weights and head rotation), as the iPhone app writes it."""
    from engine.capture.livelink import FaceTrack, write_livelink_csv
    from systems.capture.bind import _clean_rotations

    if not performance.has_face:
        raise InputError(performance.path, "has no face to write as a Live Link CSV")
    frames = len(performance.times)
    head = _clean_rotations(performance.head_rotation)
    track = FaceTrack(
        times=np.asarray(performance.times, np.float64) - float(performance.times[0]),
        weights=np.clip(np.nan_to_num(performance.face_weights, nan=0.0), 0.0, 1.0).astype(np.float32),
        head_rotation=(np.tile([0.0, 0.0, 0.0, 1.0], (frames, 1)) if head is None else head).astype(np.float32),
    )
    write_livelink_csv(out, track)
    return frames
