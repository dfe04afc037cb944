"""EmitterSurfaces: the triangles that mesh-shaped emitters sample, uniformly by area.

A library model's primitives, in its rest pose and model space (skinned ones in their bind pose), become one
triangle soup with a cumulative-area table; a sampler picks a triangle with one binary search. All surfaces share
flat arrays, and an emitter holds the index of its surface.
"""

from __future__ import annotations

import numpy as np

from engine.assets.library import PreparedModel
from engine.assets.skinning import transform_points
from engine.math_kernels import pose_matrices


def rest_triangles(model: PreparedModel) -> np.ndarray:
    """(T, 3, 3) float32 triangle corners of every primitive of the model, in model space at rest."""
    matrices = np.zeros((model.node_count, 4, 4), np.float32)
    pose_matrices(model.rest_translation, model.rest_rotation, model.rest_scale, model.parents, matrices,
                  model.node_count)
    parts = [np.zeros((0, 3, 3), np.float32)]
    for item in model.draw_items:
        corners = item.primitive.positions[item.primitive.indices.reshape(-1, 3)].reshape(-1, 3)
        if item.skin < 0:  # skinned vertices are already in model space at the bind pose
            corners = transform_points(corners, matrices[item.node])
        parts.append(corners.reshape(-1, 3, 3).astype(np.float32))
    return np.concatenate(parts)


class EmitterSurfaces:
    def __init__(self):
        self.triangles = np.zeros((0, 3, 3), np.float32)
        self.cdf = np.zeros(0, np.float64)  # per surface: cumulative area fraction of its triangles, ending at 1
        self.first = np.zeros(0, np.int32)
        self.count = np.zeros(0, np.int32)
        self._by_key: dict[str, int] = {}

    @property
    def arrays(self) -> tuple:
        return self.triangles, self.cdf

    def add_model(self, model: PreparedModel) -> int:
        """The surface index of a model (added once per model); ValueError when it has no area to emit from."""
        if model.key in self._by_key:
            return self._by_key[model.key]
        triangles = rest_triangles(model)
        areas = 0.5 * np.linalg.norm(np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0]),
                                     axis=1).astype(np.float64)
        total = areas.sum()
        if not total > 0.0:
            raise ValueError(f"{model.asset.path} has no triangles with area to emit from")
        surface = len(self.first)
        self.first = np.append(self.first, np.int32(len(self.triangles)))
        self.count = np.append(self.count, np.int32(len(triangles)))
        self.triangles = np.concatenate([self.triangles, triangles])
        self.cdf = np.concatenate([self.cdf, np.cumsum(areas) / total])
        self._by_key[model.key] = surface
        return surface

    def ranges(self, surfaces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(first triangle, triangle count) per surface index; (0, 0) for -1."""
        valid = surfaces >= 0
        index = np.where(valid, surfaces, 0)
        if not len(self.first):
            return np.zeros(len(surfaces), np.int32), np.zeros(len(surfaces), np.int32)
        return np.where(valid, self.first[index], 0), np.where(valid, self.count[index], 0)
