"""AssetLibrary: loaded models behind integer handles, prepared for the per-frame systems.

Preparation turns a ModelAsset's object graph into the flat arrays systems use:
rest-pose columns, parent indices, morph-weight layout, the draw list and
skin joint tables. Each file is loaded once, whatever the number of instances.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from engine.assets.model import AnimationClip, Material, ModelAsset, Primitive, TextureImage
from engine.assets.skinning import skin_positions, transform_points


@dataclass(eq=False)
class DrawItem:
    """One primitive of one mesh node: what extract turns into a DrawBatch."""

    node: int
    primitive: Primitive
    material: Material
    skin: int  # index into PreparedModel.skin_joints, -1 when rigid
    morph_weight_node: int  # node whose weights drive the morph targets, -1 when none


@dataclass(eq=False)
class PreparedModel:
    asset: ModelAsset
    key: str
    parents: np.ndarray  # (N,) int32 asset-local parent index, -1 at roots
    rest_translation: np.ndarray  # (N, 3)
    rest_rotation: np.ndarray  # (N, 4)
    rest_scale: np.ndarray  # (N, 3)
    weight_offsets: np.ndarray  # (N,) int32 offset of the node's morph weights within an instance, -1 = none
    rest_weights: np.ndarray  # (W,) float32 default weights for one instance
    draw_items: list[DrawItem] = field(default_factory=list)
    skin_joints: list[np.ndarray] = field(default_factory=list)  # per skin: (J,) asset-local node indices
    skin_inverse_binds: list[np.ndarray] = field(default_factory=list)  # per skin: (J, 4, 4)
    textures: list[TextureImage] = field(default_factory=list)
    bounds_min: np.ndarray = field(default_factory=lambda: np.zeros(3, np.float32))
    bounds_max: np.ndarray = field(default_factory=lambda: np.zeros(3, np.float32))

    @property
    def node_count(self) -> int:
        return len(self.parents)

    @property
    def weight_count(self) -> int:
        return len(self.rest_weights)

    def clip_index(self, name: str | None) -> int | None:
        return self.asset.animation_index(name)


def prepare_model(asset: ModelAsset, key: str) -> PreparedModel:
    nodes = asset.nodes
    parents = np.array([n.parent for n in nodes], np.int32)
    if np.any(parents >= np.arange(len(nodes))):
        raise ValueError(f"{asset.path}: nodes are not topologically ordered")
    default_material = Material(name="default", metallic=0.0, roughness=0.6)
    weight_offsets = np.full(len(nodes), -1, np.int32)
    rest_weights: list[np.ndarray] = []
    cursor = 0
    draw_items = []
    for index, node in enumerate(nodes):
        if node.mesh is None:
            continue
        mesh = asset.meshes[node.mesh]
        targets = max((p.morph_target_count for p in mesh.primitives), default=0)
        morph_node = -1
        if targets:
            weights = node.weights if node.weights is not None else mesh.default_weights
            weights = np.zeros(targets, np.float32) if weights is None or len(weights) != targets else weights
            weight_offsets[index] = cursor
            rest_weights.append(np.asarray(weights, np.float32))
            cursor += targets
            morph_node = index
        for primitive in mesh.primitives:
            material = asset.materials[primitive.material] if primitive.material is not None else default_material
            skin = node.skin if (node.skin is not None and primitive.joints is not None) else -1
            draw_items.append(DrawItem(index, primitive, material, skin, morph_node if primitive.morph_target_count else -1))
    prepared = PreparedModel(
        asset=asset,
        key=key,
        parents=parents,
        rest_translation=np.array([n.translation for n in nodes], np.float32).reshape(-1, 3),
        rest_rotation=np.array([n.rotation for n in nodes], np.float32).reshape(-1, 4),
        rest_scale=np.array([n.scale for n in nodes], np.float32).reshape(-1, 3),
        weight_offsets=weight_offsets,
        rest_weights=np.concatenate(rest_weights) if rest_weights else np.zeros(0, np.float32),
        draw_items=draw_items,
        skin_joints=[np.asarray(s.joints, np.int32) for s in asset.skins],
        skin_inverse_binds=[np.ascontiguousarray(s.inverse_bind_matrices, np.float32) for s in asset.skins],
        textures=asset.textures,
    )
    prepared.bounds_min, prepared.bounds_max = _rest_bounds(prepared)
    return prepared


def _rest_bounds(prepared: PreparedModel) -> tuple[np.ndarray, np.ndarray]:
    """Model-space bounds of every primitive in the rest pose (skinned ones skinned on the CPU)."""
    from engine.math_kernels import pose_matrices

    model = np.zeros((prepared.node_count, 4, 4), np.float32)
    pose_matrices(prepared.rest_translation, prepared.rest_rotation, prepared.rest_scale,
                  prepared.parents, model, prepared.node_count)
    points = []
    for item in prepared.draw_items:
        primitive = item.primitive
        if item.skin >= 0:
            joints = prepared.skin_joints[item.skin]
            palette = prepared.skin_inverse_binds[item.skin] @ model[joints]
            points.append(skin_positions(primitive.positions, primitive.joints, primitive.weights, palette))
        else:
            lo, hi = primitive.bounds()
            corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])], np.float32)
            points.append(transform_points(corners, model[item.node]))
    if not points:
        return np.zeros(3, np.float32), np.zeros(3, np.float32)
    stacked = np.concatenate(points)
    return stacked.min(axis=0), stacked.max(axis=0)


class AssetLibrary:
    """Models by handle. `load(path)` is idempotent per resolved path."""

    def __init__(self):
        self.models: list[PreparedModel] = []
        self._by_key: dict[str, int] = {}
        # per-handle counts as arrays, so systems can gather them for all instances at once
        self.node_counts = np.zeros(0, np.int32)
        self.weight_counts = np.zeros(0, np.int32)

    def load(self, path: str | os.PathLike) -> int:
        from engine.assets import load_model

        key = os.path.realpath(os.fspath(path))
        if key in self._by_key:
            return self._by_key[key]
        return self.add(load_model(path), key)

    def add(self, asset: ModelAsset, key: str | None = None) -> int:
        """Register an in-memory asset (procedural shapes, generated characters)."""
        key = key or f"<memory:{len(self.models)}:{asset.path}>"
        if key in self._by_key:
            return self._by_key[key]
        handle = len(self.models)
        prepared = prepare_model(asset, key)
        self.models.append(prepared)
        self._by_key[key] = handle
        self.node_counts = np.append(self.node_counts, np.int32(prepared.node_count))
        self.weight_counts = np.append(self.weight_counts, np.int32(prepared.weight_count))
        return handle

    def add_clip(self, handle: int, clip: AnimationClip) -> int:
        """Append a clip to a loaded model (e.g. a capture take retargeted onto it); returns
        its asset-local index. The ClipBank bakes it on its next sync."""
        animations = self.models[handle].asset.animations
        animations.append(clip)
        return len(animations) - 1

    def __getitem__(self, handle: int) -> PreparedModel:
        return self.models[handle]

    def __len__(self) -> int:
        return len(self.models)
