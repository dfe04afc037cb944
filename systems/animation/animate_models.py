"""Animation systems: clip time from scene time, clip sampling, pose matrices."""

from __future__ import annotations

import numpy as np

from components.model import AnimationPlayer, ModelInstance
from engine.assets.library import AssetLibrary
from engine.clock import Clock
from engine.math_kernels import pose_matrices
from engine.query import Query, Read, Write
from engine.schedule import Res, ResMut
from systems.animation.clip_bank import ClipBank
from systems.animation.pose_pool import PosePool
from systems.animation.sample_kernel import sample_clips


def advance_animation_players(
    players: Query[Write[AnimationPlayer], Read[ModelInstance]],
    clock: Res[Clock],
    bank: ResMut[ClipBank],
    library: Res[AssetLibrary],
):
    """clip_time = (scene_time - start) * speed + offset, looped or clamped: a pure function of scene time."""
    bank.sync(library)
    for view in players:
        models = view[ModelInstance.model]
        clips = view[AnimationPlayer.clip]
        global_clip = bank.global_clips(models, clips)
        valid = global_clip >= 0
        duration = np.where(valid, bank.clip_duration[np.maximum(global_clip, 0)], 0.0) if len(bank.clip_duration) else 0.0
        local = (clock.time - view[AnimationPlayer.start_time]) * view[AnimationPlayer.speed] + view[AnimationPlayer.offset]
        safe = np.where(duration > 0, duration, 1.0)
        looped = np.where(view[AnimationPlayer.loop], np.mod(local, safe), np.clip(local, 0.0, duration))
        playing = view[AnimationPlayer.playing]
        view[AnimationPlayer.time] = np.where(playing, np.where(duration > 0, looped, 0.0), view[AnimationPlayer.time])


class SampleScratch:
    """Kernel scratch rows for `sample_animation_clips`, grown on demand, never shrunk."""

    def __init__(self):
        self.rows = np.zeros((0, 256), np.float32)

    def scratch(self, count: int) -> np.ndarray:
        if len(self.rows) < count:
            self.rows = np.zeros((max(count, 2 * len(self.rows)), 256), np.float32)
        return self.rows[:count]


def sample_animation_clips(
    players: Query[Read[AnimationPlayer], Read[ModelInstance]],
    bank: Res[ClipBank],
    library: Res[AssetLibrary],
    pool: ResMut[PosePool],
    scratch: ResMut[SampleScratch],
):
    """Reset animated instances to rest and write their sampled clip values into the pose pool."""
    if players.count() == 0:
        return
    models = players.gather(ModelInstance.model)
    clips = players.gather(AnimationPlayer.clip)
    global_clip = bank.global_clips(models, clips)
    sample_clips(
        global_clip, players.gather(AnimationPlayer.time), players.gather(ModelInstance.pose_offset),
        library.node_counts[models], players.gather(ModelInstance.weight_offset), library.weight_counts[models],
        bank.clip_channel_start, bank.clip_channel_count,
        bank.channel_node, bank.channel_path, bank.channel_interpolation, bank.channel_key_start,
        bank.channel_key_count, bank.channel_value_start, bank.channel_width, bank.times, bank.values,
        pool.rest_translation, pool.rest_rotation, pool.rest_scale, pool.rest_weights,
        pool.translation, pool.rotation, pool.scale, pool.weight_offset, pool.weights,
        scratch.scratch(len(models)),
    )


def compute_pose_matrices(pool: ResMut[PosePool]):
    """Model-space matrices for every node of every instance: one sequential pass over the pool."""
    pose_matrices(pool.translation, pool.rotation, pool.scale, pool.parent, pool.model, pool.used)
