"""Extract: turn the world into a RenderFrame (plain arrays) for the renderer.

Instances are grouped by model handle, so the Python loop runs over distinct
models and their draw items, never over entities: each draw item becomes one
batch whose per-instance arrays are gathered with numpy from the pose pool.
"""

from __future__ import annotations

import math

import numpy as np
import pyrr

from components.camera import Camera, vertical_fov
from components.effects import LearnedEffect
from components.light import AmbientLight, DirectionalLight, PointLight
from components.model import ModelInstance
from components.transform import GlobalTransform
from engine.assets.library import AssetLibrary
from engine.clock import Clock
from engine.math_kernels import multiply_batched, negative_determinants
from engine.query import Query, Read, Without
from engine.render.frame import MAX_POINT_LIGHTS, DrawBatch, LightParams, RenderFrame, ViewParams
from engine.schedule import Res, ResMut
from systems.animation.pose_pool import PosePool
from systems.rendering.view_settings import EntityNames, Environment, RenderSettings, Timeline


class ExtractedFrame:
    """The render world's input: the latest RenderFrame and the shot it came from."""

    def __init__(self):
        self.frame: RenderFrame | None = None
        self.shot_name: str = ""
        self.camera: int = -1


def perspective(fov_y: float, aspect: float, near: float, far: float) -> np.ndarray:
    """OpenGL projection in GL layout (pyrr's convention, which is ours)."""
    return pyrr.matrix44.create_perspective_projection(math.degrees(fov_y), aspect, near, far, dtype=np.float32)


def view_from_camera_matrix(camera_world: np.ndarray) -> np.ndarray:
    """World->camera matrix: the inverse of the camera's rigid world matrix (scale dropped)."""
    rotation = camera_world[:3, :3] / np.maximum(np.linalg.norm(camera_world[:3, :3], axis=1, keepdims=True), 1e-12)
    view = np.eye(4, dtype=np.float32)
    view[:3, :3] = rotation.T
    view[3, :3] = -camera_world[3, :3] @ rotation.T
    return view


def _pick_camera(cameras, settings: RenderSettings, timeline: Timeline, time: float) -> tuple[int, str]:
    if settings.camera_override >= 0:
        return settings.camera_override, ""
    shot = timeline.shot_at(time)
    if shot is not None:
        return shot.camera, shot.name
    ids = cameras.entities()
    if len(ids) == 0:
        return -1, ""
    return int(ids[np.argmax(cameras.gather(Camera.priority))]), ""


def extract_view(world, cameras, settings: RenderSettings, timeline: Timeline, time: float):
    entity, shot_name = _pick_camera(cameras, settings, timeline, time)
    if entity < 0 or not world.is_alive(entity):
        raise LookupError("the scene has no camera to render from")
    world_matrix = world.get(entity, GlobalTransform.matrix)
    focal, sensor_w, sensor_h = (float(world.get(entity, f)) for f in
                                 (Camera.focal_length_mm, Camera.sensor_width_mm, Camera.sensor_height_mm))
    near, far = float(world.get(entity, Camera.near)), float(world.get(entity, Camera.far))
    fov = vertical_fov(focal, sensor_w, sensor_h, settings.aspect)
    view = ViewParams(view=view_from_camera_matrix(world_matrix), projection=perspective(fov, settings.aspect, near, far),
                      position=np.array(world_matrix[3, :3], np.float32), near=near, far=far,
                      exposure=float(world.get(entity, Camera.exposure)))
    return view, shot_name, entity


def extract_lights(suns, ambients, points) -> LightParams:
    lights = LightParams()
    for view in suns:
        matrix = view[GlobalTransform.matrix][0]
        direction = -matrix[2, :3]
        lights.sun_direction = (direction / max(np.linalg.norm(direction), 1e-9)).astype(np.float32)
        lights.sun_color = np.array(view[DirectionalLight.color][0], np.float32)
        lights.sun_intensity = float(view[DirectionalLight.intensity][0])
        lights.sun_shadows = bool(view[DirectionalLight.cast_shadows][0])
        break
    else:
        lights.sun_intensity = 0.0
        lights.sun_shadows = False
    for view in ambients:
        lights.sky_color = np.array(view[AmbientLight.sky_color][0], np.float32)
        lights.ground_color = np.array(view[AmbientLight.ground_color][0], np.float32)
        lights.ambient_intensity = float(view[AmbientLight.intensity][0])
        break
    if points.count():
        matrices = points.gather(GlobalTransform.matrix)[:MAX_POINT_LIGHTS]
        lights.point_positions = np.ascontiguousarray(matrices[:, 3, :3])
        lights.point_colors = points.gather(PointLight.color)[:MAX_POINT_LIGHTS]
        lights.point_intensities = points.gather(PointLight.intensity)[:MAX_POINT_LIGHTS]
        lights.point_ranges = points.gather(PointLight.range)[:MAX_POINT_LIGHTS]
    return lights


def extract_batches(instances, library: AssetLibrary, pool: PosePool) -> list[DrawBatch]:
    if instances.count() == 0:
        return []
    visible = instances.gather(ModelInstance.visible)
    return batches_of(
        instances.gather(ModelInstance.model)[visible], instances.gather(ModelInstance.pose_offset)[visible],
        instances.gather(ModelInstance.weight_offset)[visible], instances.gather(GlobalTransform.matrix)[visible],
        instances.gather(ModelInstance.tint)[visible], instances.gather(ModelInstance.cast_shadows)[visible],
        library, pool,
    )  # fmt: skip


def batches_of(handles, offsets, weight_bases, worlds, tints, shadows, library: AssetLibrary,
               pool: PosePool) -> list[DrawBatch]:
    """Draw batches of the given instances (gathered columns), one per model primitive."""
    order = np.argsort(handles, kind="stable")
    unique, starts = np.unique(handles[order], return_index=True)
    ends = np.append(starts[1:], len(order))
    batches = []
    for handle, start, end in zip(unique.tolist(), starts.tolist(), ends.tolist()):
        members = order[start:end]
        model = library[handle]
        group_offsets, group_worlds = offsets[members], np.ascontiguousarray(worlds[members])
        group_tints = np.ascontiguousarray(tints[members])
        all_white = bool(np.all(group_tints == 1.0))
        for item in model.draw_items:
            palettes = None
            if item.skin >= 0:
                joints = model.skin_joints[item.skin]
                gathered = pool.model[group_offsets[:, None] + joints[None, :]]
                palettes = np.matmul(model.skin_inverse_binds[item.skin][None], gathered)
                models = group_worlds  # skinned vertices are placed by their joints, not their node
            else:
                models = np.empty_like(group_worlds)
                multiply_batched(np.ascontiguousarray(pool.model[group_offsets + item.node]), group_worlds, models)
            weights = None
            if item.morph_weight_node >= 0:
                local = int(model.weight_offsets[item.morph_weight_node])
                count = item.primitive.morph_target_count
                weights = pool.weights[weight_bases[members][:, None] + local + np.arange(count)[None, :]]
            batch = DrawBatch(
                primitive=item.primitive, material=item.material, textures=model.textures, models=models,
                joint_palettes=palettes, morph_weights=weights, tints=None if all_white else group_tints,
                cast_shadows=bool(shadows[members].any()),
            )
            batches.extend(_split_mirrored(batch, palettes[:, 0] if palettes is not None else models))
    return batches


def _split_mirrored(batch: DrawBatch, placing: np.ndarray) -> list[DrawBatch]:
    """Negative-scale instances wind their triangles the other way: draw them as their own batch."""
    mirrored = np.empty(len(placing), np.bool_)
    negative_determinants(placing, mirrored)
    if not mirrored.any():
        return [batch]
    if mirrored.all():
        batch.mirrored = True
        return [batch]
    halves = []
    for flag in (False, True):
        mask = mirrored == flag

        def part(array):
            return None if array is None else np.ascontiguousarray(array[mask])

        halves.append(DrawBatch(primitive=batch.primitive, material=batch.material, textures=batch.textures,
                                models=part(batch.models), joint_palettes=part(batch.joint_palettes),
                                morph_weights=part(batch.morph_weights), tints=part(batch.tints),
                                cast_shadows=batch.cast_shadows, mirrored=flag))
    return halves


def extract_render_frame(
    cameras: Query[Read[Camera], Read[GlobalTransform]],
    suns: Query[Read[DirectionalLight], Read[GlobalTransform]],
    ambients: Query[Read[AmbientLight]],
    points: Query[Read[PointLight], Read[GlobalTransform]],
    instances: Query[Read[ModelInstance], Read[GlobalTransform], Without[LearnedEffect]],
    library: Res[AssetLibrary],
    pool: Res[PosePool],
    settings: Res[RenderSettings],
    timeline: Res[Timeline],
    environment: Res[Environment],
    clock: Res[Clock],
    names: Res[EntityNames],
    out: ResMut[ExtractedFrame],
):
    world = cameras.world
    view, shot_name, camera = extract_view(world, cameras, settings, timeline, clock.time)
    out.frame = RenderFrame(
        view=view,
        lights=extract_lights(suns, ambients, points),
        batches=extract_batches(instances, library, pool),
        ground=environment.ground,
        clear_color=environment.clear_color,
        overlay_lines=list(settings.overlay_lines),
        particle_path=settings.particle_path,
    )
    out.shot_name = shot_name or (names.name_of(camera) or "")
    out.camera = camera
