"""Rendering domain, world side: scene keys, extract into a RenderFrame.

The GL side (a Renderer drawing into a window or an offscreen target) is a
resource added by `render_output_plugin`, so headless tools and tests can run
everything up to extract without any GL context.
"""

from engine.scene_file import SceneRegistry
from engine.schedule import Phase
from systems.animation.plugin import animation_plugin
from systems.rendering.extract_frame import ExtractedFrame, extract_render_frame
from systems.rendering.scene_setup import apply_environment_and_shots
from systems.rendering.view_settings import EntityNames, Environment, RenderSettings, Timeline
from systems.scene_components import CORE_SCENE_COMPONENTS


def scene_plugin(app) -> None:
    """Core scene keys plus everything they need (transforms, animation, extract)."""
    app.add_plugin(animation_plugin)
    world = app.world
    registry = world.get_resource(SceneRegistry)
    if registry is None:
        registry = SceneRegistry()
        world.insert_resource(registry)
    for component_type in CORE_SCENE_COMPONENTS:
        registry.register(component_type)
    registry.finishers.append(apply_environment_and_shots)
    for resource in (RenderSettings(), Environment(), Timeline(), EntityNames(), ExtractedFrame()):
        if world.get_resource(type(resource)) is None:
            world.insert_resource(resource)
    app.add_system(extract_render_frame, Phase.EXTRACT)
