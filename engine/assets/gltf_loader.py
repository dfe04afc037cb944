"""glTF 2.0 / GLB / VRM -> `ModelAsset`.

The pieces live in the `gltf_*` modules; this one runs them in order, checks
the few facts that span several of them, and renumbers nodes parent-first.
Any malformed JSON the specific checks did not anticipate still ends as a
one-line `AssetError`, never a traceback.
"""

from __future__ import annotations

import os

import numpy as np

from engine.assets.gltf_animation import read_animations
from engine.assets.gltf_document import GltfDocument
from engine.assets.gltf_extensions import check_extensions
from engine.assets.gltf_geometry import read_mesh
from engine.assets.gltf_instancing import expand_gpu_instances
from engine.assets.gltf_materials import read_materials
from engine.assets.gltf_node_order import parent_first_order, renumber_nodes
from engine.assets.gltf_scene import read_cameras, read_nodes, read_roots, read_skins
from engine.assets.gltf_textures import GltfTextureTable
from engine.assets.gltf_vrm import is_vrm0, read_humanoid_bones, turn_to_face_positive_z
from engine.assets.model import ModelAsset
from engine.errors import AssetError


def load_gltf(path: str | os.PathLike) -> ModelAsset:
    try:
        doc = GltfDocument(path)
        return _build(doc)
    except AssetError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        detail = " ".join(str(exc).split())
        raise AssetError(path, f"malformed glTF ({type(exc).__name__}: {detail})") from None


def _build(doc: GltfDocument) -> ModelAsset:
    check_extensions(doc)
    textures = GltfTextureTable(doc)
    materials, uv_mappings = read_materials(doc, textures)
    meshes = [read_mesh(doc, index, uv_mappings) for index in range(len(doc.items("meshes")))]
    nodes = read_nodes(doc)
    expand_gpu_instances(doc, nodes)
    asset = ModelAsset(
        path=os.fspath(doc.path),
        nodes=nodes,
        roots=read_roots(doc, nodes),
        meshes=meshes,
        materials=materials,
        textures=textures.textures,
        skins=read_skins(doc),
        animations=read_animations(doc),
        cameras=read_cameras(doc),
        humanoid_bones=read_humanoid_bones(doc),
    )
    _check_cross_references(doc, asset)
    if is_vrm0(doc):
        turn_to_face_positive_z(asset)
    order = parent_first_order(asset.nodes)
    if order is None:
        doc.fail("node hierarchy contains a cycle")
    renumber_nodes(asset, order)
    asset.warnings = doc.warnings
    return asset


def _check_cross_references(doc: GltfDocument, asset: ModelAsset) -> None:
    """Facts no single reader can see: joint indices fit their skin, weight tracks fit their mesh."""
    for index, node in enumerate(asset.nodes):
        if node.mesh is None or node.skin is None:
            continue
        joint_count = len(asset.skins[node.skin].joints)
        for primitive in asset.meshes[node.mesh].primitives:
            if primitive.joints is None:
                continue
            weighted_joints = primitive.joints[primitive.weights > 0]
            if weighted_joints.size and int(weighted_joints.max()) >= joint_count:
                doc.fail(
                    f"nodes[{index}] skins meshes[{node.mesh}] with joint {int(weighted_joints.max())} "
                    f"but skins[{node.skin}] has {joint_count} joints"
                )
            # Exporters sometimes leave junk in zero-weight slots; point those at joint 0 so lookups stay in range.
            primitive.joints = np.where(primitive.joints < joint_count, primitive.joints, 0).astype(np.uint16)
    for clip in asset.animations:
        for channel in clip.channels:
            mesh = asset.nodes[channel.node].mesh
            if channel.path == "weights" and mesh is not None:
                targets = len(asset.meshes[mesh].default_weights)
                if channel.values.shape[-1] != targets:
                    doc.fail(
                        f"animation '{clip.name}' drives {channel.values.shape[-1]} morph weights "
                        f"on meshes[{mesh}] which has {targets} targets"
                    )
