"""Effects domain: learned effects (trained automata) shown in materials; the GPU steps them at render."""

from engine.scene_file import SceneRegistry
from engine.schedule import Phase
from systems.effects.extract import extract_learned_effects
from systems.effects.library import EffectLibrary
from systems.effects.scene_keys import EFFECT_SCENE_COMPONENTS
from systems.rendering.plugin import scene_plugin


def effects_plugin(app) -> None:
    app.add_plugin(scene_plugin)
    world = app.world
    if world.get_resource(EffectLibrary) is None:
        world.insert_resource(EffectLibrary())
    registry = world.resource(SceneRegistry)
    for component_type in EFFECT_SCENE_COMPONENTS:
        registry.register(component_type)
    app.add_system(extract_learned_effects, Phase.EXTRACT, after="extract_render_frame")
