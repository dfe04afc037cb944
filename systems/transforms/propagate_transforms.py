"""Local Transform -> world GlobalTransform, through the Parent hierarchy.

Roots are composed straight into their GlobalTransform column. Children need
their parents' world matrices, which may live in other tables: their order is
solved once per structural change into flat, depth-sorted arrays (with the
table rows to gather from and scatter to), then one numba pass over that
depth-sorted scratch does the products.
"""

from __future__ import annotations

import numpy as np

from components.transform import GlobalTransform, Parent, Transform
from engine.entity_ids import index_of
from engine.math_kernels import compose_trs, propagate_hierarchy
from engine.query import Query, Read, With, Without, Write
from engine.schedule import WorldAccess


class HierarchyOrder:
    """Cached evaluation order for entities with a Parent (rebuilt on structural change)."""

    def __init__(self):
        self.structure_version = -1
        self.parent_positions = np.zeros(0, np.int64)  # position of the parent in `order_slots`, or -1
        self.order_slots = np.zeros(0, np.int64)  # every slot taking part: parents, then children by depth
        self.local = np.zeros((0, 4, 4), np.float32)
        self.world = np.zeros((0, 4, 4), np.float32)
        # per table holding participants: (table id, positions in order_slots, rows in that table)
        self.table_groups: list[tuple[int, np.ndarray, np.ndarray]] = []


def _solve_order(world, cache: HierarchyOrder) -> None:
    children = world.query(Read(Parent))
    child_ids = children.entities()
    parent_ids = children.gather(Parent.entity)
    alive = world.entities.alive_mask(parent_ids)
    child_ids, parent_ids = child_ids[alive], parent_ids[alive]
    # Runs only when the structure changed, so a plain walk up each chain is fine here.
    slot_parent = dict(zip(index_of(child_ids).tolist(), index_of(parent_ids).tolist()))
    depth: dict[int, int] = {}
    for child in slot_parent:
        chain, node, seen = [], child, set()
        while node in slot_parent and node not in depth:
            if node in seen:
                raise ValueError(f"Parent links form a cycle through entity slot {node}")
            seen.add(node)
            chain.append(node)
            node = slot_parent[node]
        level = depth.get(node, 0)
        for n in reversed(chain):
            level += 1
            depth[n] = level
    roots = sorted({p for c, p in slot_parent.items() if p not in slot_parent})
    ordered_children = sorted(slot_parent, key=lambda s: depth[s])
    order = roots + ordered_children
    position = {slot: i for i, slot in enumerate(order)}
    cache.order_slots = np.asarray(order, np.int64)
    cache.parent_positions = np.asarray([-1] * len(roots) + [position[slot_parent[c]] for c in ordered_children], np.int64)
    cache.local = np.zeros((len(order), 4, 4), np.float32)
    cache.world = np.zeros((len(order), 4, 4), np.float32)
    tables = world.entities.table_of[cache.order_slots]
    rows = world.entities.row_of[cache.order_slots]
    cache.table_groups = [(int(t), np.flatnonzero(tables == t), rows[tables == t]) for t in np.unique(tables)]
    cache.structure_version = world.structure_version


def propagate_transforms(
    roots: Query[Read[Transform], Write[GlobalTransform], Without[Parent]],
    children: Query[Read[Transform], Write[GlobalTransform], With[Parent]],
    world: WorldAccess,
):
    for view in roots:
        compose_trs(view[Transform.translation], view[Transform.rotation], view[Transform.scale], view[GlobalTransform.matrix])
    if children.count() == 0:
        return
    cache = world.get_resource(HierarchyOrder)
    if cache is None:
        cache = HierarchyOrder()
        world.insert_resource(cache)
    if cache.structure_version != world.structure_version:
        _solve_order(world, cache)
    # local matrices of children; roots of the hierarchy already hold world matrices
    for view in children:
        compose_trs(view[Transform.translation], view[Transform.rotation], view[Transform.scale], view[GlobalTransform.matrix])
    for table_id, positions, rows in cache.table_groups:
        cache.local[positions] = world.tables[table_id].columns[GlobalTransform.matrix][rows]
    propagate_hierarchy(cache.local, cache.parent_positions, cache.world, 0, len(cache.order_slots))
    for table_id, positions, rows in cache.table_groups:
        world.tables[table_id].columns[GlobalTransform.matrix][rows] = cache.world[positions]
