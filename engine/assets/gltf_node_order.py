"""Renumber a model's nodes so every parent comes before its children.

Runtime code walks `ModelAsset.nodes` once, front to back, to build world
transforms; that needs parent index < child index. The order chosen is the
file's own wherever the file allows (a file already in order is unchanged),
and every node reference in the asset is remapped to match.
"""

from __future__ import annotations

import heapq

import numpy as np

from engine.assets.model import ModelAsset, Node


def parent_first_order(nodes: list[Node]) -> list[int] | None:
    """Old indices in their new order (lowest old index first among ready nodes); None if there is a cycle."""
    waiting_children: list[list[int]] = [[] for _ in nodes]
    ready = []
    for index, node in enumerate(nodes):
        if node.parent == -1:
            ready.append(index)
        else:
            waiting_children[node.parent].append(index)
    heapq.heapify(ready)
    order = []
    while ready:
        index = heapq.heappop(ready)
        order.append(index)
        for child in waiting_children[index]:
            heapq.heappush(ready, child)
    return order if len(order) == len(nodes) else None


def renumber_nodes(asset: ModelAsset, order: list[int]) -> None:
    """Put `asset.nodes` in `order` (old indices) and rewrite every node index in the asset."""
    if order == list(range(len(order))):
        return
    new_index = np.empty(len(order), np.int32)
    new_index[order] = np.arange(len(order), dtype=np.int32)
    asset.nodes = [asset.nodes[old] for old in order]
    for node in asset.nodes:
        node.parent = -1 if node.parent == -1 else int(new_index[node.parent])
        node.children = [int(new_index[child]) for child in node.children]
    asset.roots = [int(new_index[root]) for root in asset.roots]
    for skin in asset.skins:
        skin.joints = new_index[skin.joints].astype(np.int32)
        skin.skeleton = None if skin.skeleton is None else int(new_index[skin.skeleton])
    for clip in asset.animations:
        for channel in clip.channels:
            channel.node = int(new_index[channel.node])
    asset.humanoid_bones = {bone: int(new_index[node]) for bone, node in asset.humanoid_bones.items()}
