"""Spawning and despawning model instances (they own a PosePool segment)."""

from __future__ import annotations

from components.model import AnimationPlayer, ModelInstance
from components.transform import GlobalTransform, Transform
from engine.assets.library import AssetLibrary
from engine.component import ComponentValue
from systems.animation.pose_pool import PosePool


def spawn_model(world, handle: int, transform: ComponentValue | None = None, *extra: ComponentValue,
                tint=(1.0, 1.0, 1.0, 1.0), cast_shadows: bool = True, clip: int | None = None,
                speed: float = 1.0, start_time: float = 0.0, offset: float = 0.0, loop: bool = True) -> int:
    """Spawn an instance of a library model; `clip` (asset-local index) adds an AnimationPlayer."""
    model = world.resource(AssetLibrary)[handle]
    pose_offset, weight_offset = world.resource(PosePool).allocate(model)
    values = [
        transform if transform is not None else Transform(),
        GlobalTransform(),
        ModelInstance(model=handle, pose_offset=pose_offset, weight_offset=weight_offset, tint=tint,
                      cast_shadows=cast_shadows),
        *extra,
    ]
    if clip is not None:
        values.append(AnimationPlayer(clip=clip, speed=speed, start_time=start_time, offset=offset, loop=loop))
    return world.spawn(*values)


def despawn_model(world, entity: int) -> None:
    """Despawn an instance and hand its pose segment back to the pool."""
    handle = int(world.get(entity, ModelInstance.model))
    pose_offset = int(world.get(entity, ModelInstance.pose_offset))
    weight_offset = int(world.get(entity, ModelInstance.weight_offset))
    world.resource(PosePool).release(world.resource(AssetLibrary)[handle], pose_offset, weight_offset)
    world.despawn(entity)
