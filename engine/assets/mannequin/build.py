"""Assemble a mannequin `ModelAsset`: skeleton nodes, skinned body and head meshes, materials, clips."""

from __future__ import annotations

import numpy as np

from engine.assets.gltf_geometry import smooth_normals
from engine.assets.mannequin.body_mesh import build_body
from engine.assets.mannequin.clips import build_clips
from engine.assets.mannequin.face import TARGET_NAMES, build_head
from engine.assets.mannequin.gait import WALK_CYCLE_SECONDS, stride_length, walk_speed
from engine.assets.mannequin.geometry import Part
from engine.assets.mannequin.skeleton import Skeleton, build_skeleton
from engine.assets.mannequin.variants import VARIANTS, Outfit
from engine.assets.model import Material, Mesh, ModelAsset, Node, Primitive, Skin

INFLUENCES = 4
_ROUGHNESS = {"skin": 0.55, "hair": 0.8, "eye_white": 0.25, "iris": 0.2, "lash": 0.7, "lips": 0.45,
              "mouth": 0.9, "shirt": 0.85, "trousers": 0.9, "shoes": 0.45, "soles": 0.8}


def build_mannequin(variant: str = "a") -> ModelAsset:
    """The procedural mannequin: "a" (1.75 m, t-shirt and jeans) or "b" (1.65 m, long sleeves, bob)."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown mannequin variant {variant!r}; choose from {sorted(VARIANTS)}")
    spec = VARIANTS[variant]
    skeleton = build_skeleton(spec.body)
    body_parts = build_body(spec, skeleton)
    face, hair = build_head(spec, skeleton)
    materials = _materials(spec.outfit)
    material_index = {material.name: i for i, material in enumerate(materials)}

    joint_nodes = 1 + np.arange(len(skeleton.names))  # node 0 is the character root
    body_node, head_node = 1 + len(skeleton.names), 2 + len(skeleton.names)
    # Skinned mesh nodes sit at the scene root (glTF ignores their parents' transforms anyway).
    nodes = [Node(f"Mannequin_{variant}", children=[1])]
    for joint, name in enumerate(skeleton.names):
        parent = int(skeleton.parents[joint])
        nodes.append(Node(name, parent=0 if parent < 0 else int(joint_nodes[parent]),
                          children=[int(joint_nodes[c]) for c in np.flatnonzero(skeleton.parents == joint)],
                          translation=skeleton.local_offsets[joint].astype(np.float32)))
    nodes.append(Node("Body", mesh=0, skin=0))
    nodes.append(Node("Head", mesh=1, skin=0))

    meshes = [
        Mesh("Body", _primitives(body_parts + [hair], material_index)),
        Mesh("Head", _primitives([face], material_index),
             default_weights=np.zeros(len(TARGET_NAMES), np.float32), target_names=list(TARGET_NAMES)),
    ]
    return ModelAsset(
        path=f"procedural:mannequin_{variant}",
        nodes=nodes,
        roots=[0, body_node, head_node],
        meshes=meshes,
        materials=materials,
        skins=[_skin(skeleton, joint_nodes)],
        animations=_with_extras(build_clips(spec, skeleton, joint_nodes, head_node,
                                            _ground_contact_points(body_parts, skeleton)), clip_extras(variant)),
        humanoid_bones={bone: int(joint_nodes[j]) for bone, j in skeleton.humanoid_map().items()},
    )


def _with_extras(clips, extras: dict[str, dict]):
    for clip in clips:
        clip.extras = dict(extras.get(clip.name, {}))
    return clips


def clip_extras(variant: str) -> dict[str, dict]:
    """Per-clip metadata for the glTF `extras`: every clip loops; the walk says how fast to move."""
    spec = VARIANTS[variant]
    extras: dict[str, dict] = {name: {"loop": True} for name in ("idle", "walk", "wave", "talk")}
    extras["walk"].update(forwardSpeed=round(walk_speed(spec), 4), strideLength=stride_length(spec),
                          cycleSeconds=WALK_CYCLE_SECONDS)
    return extras


def _materials(outfit: Outfit) -> list[Material]:
    colours = {"skin": outfit.skin, "hair": outfit.hair, "eye_white": (236, 232, 224), "iris": outfit.iris,
               "lash": (30, 22, 20), "lips": outfit.lips, "mouth": (58, 20, 24), "shirt": outfit.shirt,
               "trousers": outfit.trousers, "shoes": outfit.shoes, "soles": outfit.soles}
    return [Material(name, base_color=np.append(_srgb_to_linear(rgb), 1.0).astype(np.float32), metallic=0.0,
                     roughness=_ROUGHNESS[name], double_sided=name == "hair")
            for name, rgb in colours.items()]


def _srgb_to_linear(rgb) -> np.ndarray:
    c = np.asarray(rgb, np.float64) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _skin(skeleton: Skeleton, joint_nodes: np.ndarray) -> Skin:
    # Rest rotations are identity, so each inverse bind matrix only undoes the joint's position.
    inverse_binds = np.tile(np.eye(4, dtype=np.float32), (len(joint_nodes), 1, 1))
    inverse_binds[:, 3, :3] = -skeleton.positions
    return Skin("Mannequin", joint_nodes.astype(np.int32), inverse_binds, skeleton=int(joint_nodes[0]))


def _primitives(parts: list[Part], material_index: dict[str, int]) -> list[Primitive]:
    """One primitive per material, gathered from every part (normals computed on whole parts)."""
    pieces: dict[str, list] = {}
    for part in parts:
        normals = part.normals
        morph_normals = None if part.morphs is None else np.stack(
            [smooth_normals(part.positions + delta, part.triangles) - normals for delta in part.morphs])
        for material in np.unique(part.materials):
            triangles = part.triangles[part.materials == material]
            used, local = np.unique(triangles, return_inverse=True)
            pieces.setdefault(material, []).append((used, local.reshape(-1, 3), part, normals, morph_normals))
    primitives = []
    for material in sorted(pieces, key=material_index.__getitem__):
        positions, normals, weights, triangles, morphs, morph_normals = [], [], [], [], [], []
        offset = 0
        for used, local, part, part_normals, part_morph_normals in pieces[material]:
            positions.append(part.positions[used])
            normals.append(part_normals[used])
            weights.append(part.weights[used])
            triangles.append(local + offset)
            if part.morphs is not None:
                morphs.append(part.morphs[:, used])
                morph_normals.append(part_morph_normals[:, used])
            offset += len(used)
        joints, strongest = _strongest_influences(np.concatenate(weights))
        primitives.append(Primitive(
            positions=np.concatenate(positions).astype(np.float32),
            indices=np.concatenate(triangles).reshape(-1).astype(np.uint32),
            normals=np.concatenate(normals).astype(np.float32),
            joints=joints,
            weights=strongest,
            material=material_index[material],
            morph_positions=np.concatenate(morphs, axis=1).astype(np.float32) if morphs else None,
            morph_normals=np.concatenate(morph_normals, axis=1).astype(np.float32) if morphs else None,
        ))
    return primitives


def _strongest_influences(dense: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(V, J) weights -> the 4 largest per vertex as (joints uint16, weights float32 summing to 1)."""
    joints = np.argsort(-dense, axis=1, kind="stable")[:, :INFLUENCES]
    weights = np.take_along_axis(dense, joints, axis=1)
    weights /= weights.sum(axis=1, keepdims=True)
    joints[weights == 0] = 0  # glTF wants unused influence slots to name joint 0
    return joints.astype(np.uint16), weights.astype(np.float32)


def _ground_contact_points(parts: list[Part], skeleton: Skeleton) -> dict[str, dict[str, np.ndarray]]:
    """Rest positions of shoe-sole vertices that ride on each foot bone, per side, for the walk solver."""
    points = np.concatenate([p.positions for p in parts])
    weights = np.concatenate([p.weights for p in parts])
    low = points[:, 1] < 0.03
    contact = {}
    for side in ("Left", "Right"):
        foot, toe = skeleton.indices(f"{side}Foot", f"{side}ToeBase")
        contact[side] = {bone: points[low & (weights[:, joint] > 0)] for bone, joint in (("Foot", foot), ("ToeBase", toe))}
    return contact
