"""Animation domain: timeline paths, look-at, clip playback and skeletal poses."""

from engine.assets.library import AssetLibrary
from engine.schedule import Phase
from systems.animation.animate_models import (
    SampleScratch,
    advance_animation_players,
    compute_pose_matrices,
    sample_animation_clips,
)
from systems.animation.clip_bank import ClipBank
from systems.animation.clip_cues import CueLibrary, apply_clip_cues
from systems.animation.pose_pool import PosePool
from systems.animation.scripted_motion import aim_look_at, follow_paths
from systems.animation.track_library import TrackLibrary
from systems.transforms.plugin import transforms_plugin


def animation_plugin(app) -> None:
    app.add_plugin(transforms_plugin)
    world = app.world
    for resource in (AssetLibrary(), PosePool(), ClipBank(), TrackLibrary(), CueLibrary(), SampleScratch()):
        if world.get_resource(type(resource)) is None:
            world.insert_resource(resource)
    app.add_system(follow_paths, Phase.ANIMATE, before="propagate_transforms")
    app.add_system(aim_look_at, Phase.ANIMATE, after="propagate_transforms")
    app.add_system(apply_clip_cues, Phase.ANIMATE)
    app.add_system(advance_animation_players, Phase.ANIMATE)
    app.add_system(sample_animation_clips, Phase.ANIMATE)
    app.add_system(compute_pose_matrices, Phase.ANIMATE)
