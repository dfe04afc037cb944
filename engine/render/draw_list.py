"""Turn a frame's DrawBatches into culled, uploaded, ready-to-draw batches.

Two steps around the shadow fit (which needs every caster's bounds):
  1. `collect_batches`: GPU primitive, slot and world bounding spheres of all
     instances (numpy over the (K, 4, 4) arrays, no Python loop per instance);
  2. `upload_instances`: per pass, keep the instances whose spheres touch that
     pass's frustum (camera, sun), order them (opaque front to back for early
     depth rejection, blended back to front), and write matrices, tints,
     palettes and morph weights in one write per array.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.render.batch_slots import BatchSlot, BatchSlots, InstanceBuffers
from engine.render.frame import DrawBatch
from engine.render.gpu_cache import GpuCache, GpuPrimitive
from engine.render.instance_data import InstanceDataTexture


@dataclass(eq=False)
class PassInstances:
    """The instances of one batch drawn in one pass."""

    buffers: InstanceBuffers
    count: int = 0
    deform_uniforms: dict[str, int] = field(default_factory=dict)


@dataclass(eq=False)
class PreparedBatch:
    batch: DrawBatch
    gpu: GpuPrimitive
    slot: BatchSlot
    variant_defines: dict[str, int]  # vertex layout + SKINNED / MORPH
    sphere_centers: np.ndarray  # (K, 3) world
    sphere_radii: np.ndarray  # (K,)
    color: PassInstances
    shadow: PassInstances
    view_distance: float = 0.0  # farthest drawn instance from the camera, orders blended batches

    @property
    def blended(self) -> bool:
        return self.batch.material.alpha_mode == "BLEND"

    @property
    def instance_count(self) -> int:
        return self.sphere_radii.shape[0]


def collect_batches(batches: list[DrawBatch], cache: GpuCache, slots: BatchSlots) -> list[PreparedBatch]:
    occurrences: dict[tuple, int] = {}
    collected = []
    for batch in batches:
        count = 0 if batch.models is None else batch.models.shape[0]
        if count == 0:
            continue
        gpu = cache.primitive(batch.primitive)
        key = (batch.primitive, batch.material)
        occurrence = occurrences[key] = occurrences.get(key, -1) + 1
        slot = slots.get(batch.primitive, batch.material, occurrence, count)
        defines = dict(gpu.layout_defines)
        skinned = gpu.has_skin_attributes and batch.joint_palettes is not None
        if skinned:
            defines["SKINNED"] = 1
        if gpu.morph_target_count and batch.morph_weights is not None:
            if batch.morph_weights.shape[1] != gpu.morph_target_count:
                raise ValueError(
                    f"DrawBatch.morph_weights has {batch.morph_weights.shape[1]} targets, "
                    f"the primitive has {gpu.morph_target_count}"
                )
            defines["MORPH"] = 1
        centers, radii = _world_spheres(batch, gpu, skinned)
        collected.append(
            PreparedBatch(
                batch, gpu, slot, defines, centers, radii, PassInstances(slot.color), PassInstances(slot.shadow)
            )
        )
    return collected


def caster_bounds(prepared: list[PreparedBatch]) -> tuple[np.ndarray, np.ndarray] | None:
    """World AABB of every shadow caster, or None when nothing casts."""
    casters = [item for item in prepared if item.batch.cast_shadows]
    if not casters:
        return None
    low = np.min([(item.sphere_centers - item.sphere_radii[:, None]).min(axis=0) for item in casters], axis=0)
    high = np.max([(item.sphere_centers + item.sphere_radii[:, None]).max(axis=0) for item in casters], axis=0)
    return low, high


def upload_instances(
    prepared: list[PreparedBatch],
    camera_position: np.ndarray,
    view_proj: np.ndarray,
    light_view_proj: np.ndarray | None,
    instance_data: InstanceDataTexture,
) -> None:
    instance_data.begin_frame()
    view_planes = frustum_planes(view_proj)
    light_planes = None if light_view_proj is None else frustum_planes(light_view_proj)
    for item in prepared:
        distances = np.linalg.norm(item.sphere_centers - camera_position[:3], axis=1)
        visible = np.flatnonzero(spheres_in_frustum(item.sphere_centers, item.sphere_radii, view_planes))
        if visible.size:
            # Opaque front to back (early depth rejection), blended back to front (correct compositing).
            keys = -distances[visible] if item.blended else distances[visible]
            order = visible[np.argsort(keys, kind="stable")]
            item.view_distance = float(distances[order].max())
            _upload_pass(item, item.color, order, instance_data)
        else:
            item.color.count = 0
        if light_planes is not None and item.batch.cast_shadows:
            casting = np.flatnonzero(spheres_in_frustum(item.sphere_centers, item.sphere_radii, light_planes))
            _upload_pass(item, item.shadow, casting, instance_data)
        else:
            item.shadow.count = 0
    instance_data.upload()


def frustum_planes(view_proj: np.ndarray) -> np.ndarray:
    """(6, 4) unit-normal planes (inside: n.p + d >= 0) of a GL-layout clip matrix."""
    m = np.asarray(view_proj, np.float64)
    planes = np.stack([m[:, 3] + m[:, i] * s for i in range(3) for s in (1.0, -1.0)])
    return planes / np.linalg.norm(planes[:, :3], axis=1, keepdims=True)


def spheres_in_frustum(centers: np.ndarray, radii: np.ndarray, planes: np.ndarray) -> np.ndarray:
    distances = centers @ planes[:, :3].T + planes[:, 3]
    return np.all(distances >= -radii[:, None], axis=1)


def _upload_pass(
    item: PreparedBatch, instances: PassInstances, order: np.ndarray, instance_data: InstanceDataTexture
) -> None:
    batch = item.batch
    instances.count = int(order.size)
    if not order.size:
        return
    instances.buffers.upload(batch.models[order], None if batch.tints is None else batch.tints[order])
    uniforms = {"u_use_tint": batch.tints is not None}
    if "SKINNED" in item.variant_defines:
        uniforms["u_palette_base"] = instance_data.add(batch.joint_palettes[order])
        uniforms["u_joint_count"] = batch.joint_palettes.shape[1]
    if "MORPH" in item.variant_defines:
        uniforms["u_morph_weights_base"] = instance_data.add(batch.morph_weights[order]) * 4
        uniforms["u_morph_target_count"] = item.gpu.morph_target_count
        uniforms["u_morph_vertex_count"] = item.gpu.vertex_count
    instances.deform_uniforms = uniforms


def _world_spheres(batch: DrawBatch, gpu: GpuPrimitive, skinned: bool) -> tuple[np.ndarray, np.ndarray]:
    """Per-instance world bounding spheres (centres (K, 3), radii (K,)).

    Skinned: a posed vertex lies within the bind-pose radius (times the joint's
    scale) of the bounds centre carried by one of its joints, because blending
    rigid palettes stays inside the convex hull of those spheres; so the box
    around them bounds the posed mesh.
    """
    models = np.asarray(batch.models, np.float32)
    center = np.append(gpu.bounds_center, 1.0).astype(np.float32)
    model_scale = _max_axis_scale(models[:, :3, :3])
    if not skinned:
        return (center @ models)[:, :3], gpu.bounds_radius * model_scale
    palettes = np.asarray(batch.joint_palettes, np.float32)
    carried = ((center @ palettes) @ models)[..., :3]  # (K, J, 3)
    reach = (gpu.bounds_radius * _max_axis_scale(palettes[:, :, :3, :3]) * model_scale[:, None])[..., None]
    low, high = (carried - reach).min(axis=1), (carried + reach).max(axis=1)
    return (low + high) * 0.5, np.linalg.norm(high - low, axis=1) * 0.5


def _max_axis_scale(linear: np.ndarray) -> np.ndarray:
    """Largest basis-vector length of (..., 3, 3) row-vector transforms."""
    return np.sqrt((linear**2).sum(axis=-1)).max(axis=-1)
