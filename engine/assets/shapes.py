"""Procedural primitives (box, sphere, cylinder, plane) as ModelAssets, for scenes, tests and benches."""

from __future__ import annotations

import numpy as np

from engine.assets.model import Material, Mesh, ModelAsset, Node, Primitive


def box(size=(1.0, 1.0, 1.0)) -> Primitive:
    half = np.asarray(size, np.float32) / 2
    faces = []
    for axis in range(3):
        for sign in (-1.0, 1.0):
            normal = np.zeros(3, np.float32)
            normal[axis] = sign
            u_axis, v_axis = [(1, 2), (2, 0), (0, 1)][axis]
            corners = []
            for du, dv in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
                p = normal * half
                p = p.copy()
                p[u_axis] = du * half[u_axis]
                p[v_axis] = dv * half[v_axis]
                corners.append(p)
            corners = np.array(corners, np.float32)
            if sign < 0:  # keep counter-clockwise winding seen from outside
                corners = corners[::-1]
            faces.append((corners, normal))
    positions = np.concatenate([f[0] for f in faces])
    normals = np.repeat(np.array([f[1] for f in faces]), 4, axis=0)
    uv = np.tile(np.array([[0, 1], [1, 1], [1, 0], [0, 0]], np.float32), (6, 1))
    quad = np.array([0, 1, 2, 0, 2, 3], np.uint32)
    indices = (quad[None, :] + 4 * np.arange(6, dtype=np.uint32)[:, None]).reshape(-1)
    return Primitive(positions=positions, indices=indices, normals=normals, uv0=uv)


def uv_sphere(radius: float = 0.5, segments: int = 48, rings: int = 24) -> Primitive:
    theta = np.linspace(0, np.pi, rings + 1, dtype=np.float32)[:, None]
    phi = np.linspace(0, 2 * np.pi, segments + 1, dtype=np.float32)[None, :]
    normals = np.stack([np.sin(theta) * np.sin(phi), np.cos(theta) * np.ones_like(phi),
                        np.sin(theta) * np.cos(phi)], axis=-1).reshape(-1, 3)
    uv = np.stack(np.broadcast_arrays(phi / (2 * np.pi), theta / np.pi), axis=-1).reshape(-1, 2)
    return Primitive(positions=(normals * radius).astype(np.float32), indices=_grid_indices(rings, segments),
                     normals=normals.astype(np.float32), uv0=uv.astype(np.float32))


def cylinder(radius: float = 0.5, height: float = 1.0, segments: int = 32) -> Primitive:
    """An open-ended tube along +Y from 0 to height (caps are rarely seen in previs props)."""
    phi = np.linspace(0, 2 * np.pi, segments + 1, dtype=np.float32)
    ring = np.stack([np.sin(phi), np.zeros_like(phi), np.cos(phi)], axis=-1)
    positions = np.concatenate([ring * radius, ring * radius + [0, height, 0]]).astype(np.float32)
    normals = np.concatenate([ring, ring]).astype(np.float32)
    uv = np.concatenate([np.stack([phi / (2 * np.pi), np.ones_like(phi)], -1), np.stack([phi / (2 * np.pi), np.zeros_like(phi)], -1)])
    return Primitive(positions=positions, indices=_grid_indices(1, segments)[::-1].copy(), normals=normals, uv0=uv.astype(np.float32))


def plane(size=(10.0, 10.0)) -> Primitive:
    w, d = size[0] / 2, size[1] / 2
    positions = np.array([[-w, 0, -d], [-w, 0, d], [w, 0, d], [w, 0, -d]], np.float32)
    normals = np.tile(np.array([0, 1, 0], np.float32), (4, 1))
    uv = np.array([[0, 0], [0, 1], [1, 1], [1, 0]], np.float32)
    return Primitive(positions=positions, indices=np.array([0, 1, 2, 0, 2, 3], np.uint32), normals=normals, uv0=uv)


def _grid_indices(rows: int, columns: int) -> np.ndarray:
    r, c = np.meshgrid(np.arange(rows, dtype=np.uint32), np.arange(columns, dtype=np.uint32), indexing="ij")
    a = r * (columns + 1) + c
    b = a + columns + 1
    return np.stack([a, b, a + 1, a + 1, b, b + 1], axis=-1).reshape(-1).astype(np.uint32)


SHAPES = {"box": box, "sphere": uv_sphere, "cylinder": cylinder, "plane": plane}


def shape_asset(kind: str, material: Material, **params) -> ModelAsset:
    primitive = SHAPES[kind](**params)
    primitive.material = 0
    return ModelAsset(path=f"<{kind}>", nodes=[Node(name=kind, mesh=0)], roots=[0],
                      meshes=[Mesh(name=kind, primitives=[primitive])], materials=[material])
