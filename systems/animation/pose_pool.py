"""PosePool: the node poses of every model instance in shared contiguous columns.

Each instance owns a segment [offset, offset + node_count) of the node columns
and a segment of the flat morph-weight column. Parent indices are absolute
pool indices, so one sequential kernel pass computes every instance's
model-space matrices.
"""

from __future__ import annotations

import numpy as np

from engine.assets.library import PreparedModel


class PosePool:
    def __init__(self, capacity: int = 256, weight_capacity: int = 256):
        self.used = 0
        self.translation = np.zeros((capacity, 3), np.float32)
        self.rotation = np.zeros((capacity, 4), np.float32)
        self.scale = np.ones((capacity, 3), np.float32)
        # rest pose per slot, so resetting animated segments is a column copy inside the kernel
        self.rest_translation = np.zeros((capacity, 3), np.float32)
        self.rest_rotation = np.zeros((capacity, 4), np.float32)
        self.rest_scale = np.ones((capacity, 3), np.float32)
        self.parent = np.full(capacity, -1, np.int32)
        self.model = np.zeros((capacity, 4, 4), np.float32)
        self.weight_offset = np.full(capacity, -1, np.int32)  # absolute offset into `weights`
        self.weights_used = 0
        self.weights = np.zeros(weight_capacity, np.float32)
        self.rest_weights = np.zeros(weight_capacity, np.float32)
        self._free: dict[tuple[int, int], list[tuple[int, int]]] = {}  # (nodes, weights) -> [(offset, weight_base)]

    def _grow_nodes(self, needed: int) -> None:
        capacity = len(self.parent)
        while capacity < needed:
            capacity *= 2
        for name in ("translation", "rotation", "scale", "rest_translation", "rest_rotation", "rest_scale",
                     "parent", "model", "weight_offset"):
            old = getattr(self, name)
            new = np.zeros((capacity, *old.shape[1:]), old.dtype)
            if name in ("parent", "weight_offset"):
                new[:] = -1
            new[: self.used] = old[: self.used]
            setattr(self, name, new)

    def _grow_weights(self, needed: int) -> None:
        capacity = len(self.weights)
        while capacity < needed:
            capacity *= 2
        for name in ("weights", "rest_weights"):
            new = np.zeros(capacity, np.float32)
            new[: self.weights_used] = getattr(self, name)[: self.weights_used]
            setattr(self, name, new)

    def allocate(self, model: PreparedModel) -> tuple[int, int]:
        """Reserve a segment initialised to the model's rest pose; returns (node offset, weight offset)."""
        count = model.node_count
        reusable = self._free.get((count, model.weight_count))
        if reusable:
            offset, weight_base = reusable.pop()
        else:
            offset, weight_base = self.used, self.weights_used
            if offset + count > len(self.parent):
                self._grow_nodes(offset + count)
            if weight_base + model.weight_count > len(self.weights):
                self._grow_weights(weight_base + model.weight_count)
            self.used += count
            self.weights_used += model.weight_count
        segment = slice(offset, offset + count)
        self.parent[segment] = np.where(model.parents >= 0, model.parents + offset, -1)
        self.weight_offset[segment] = np.where(model.weight_offsets >= 0, model.weight_offsets + weight_base, -1)
        weight_segment = slice(weight_base, weight_base + model.weight_count)
        self.weights[weight_segment] = self.rest_weights[weight_segment] = model.rest_weights
        self.rest_translation[segment] = self.translation[segment] = model.rest_translation
        self.rest_rotation[segment] = self.rotation[segment] = model.rest_rotation
        self.rest_scale[segment] = self.scale[segment] = model.rest_scale
        return offset, weight_base

    def release(self, model: PreparedModel, offset: int, weight_base: int) -> None:
        self._free.setdefault((model.node_count, model.weight_count), []).append((offset, weight_base))
