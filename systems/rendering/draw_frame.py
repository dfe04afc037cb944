"""Render phase: hand the extracted frame to the GL renderer. Reads nothing else of the world."""

from __future__ import annotations

from dataclasses import dataclass

from engine.render.renderer import Renderer
from engine.schedule import Phase, Res, ResMut
from systems.rendering.extract_frame import ExtractedFrame


@dataclass
class RenderOutput:
    """Where frames go: a renderer and a framebuffer (a window's or an offscreen one)."""

    renderer: Renderer
    framebuffer: object  # moderngl.Framebuffer
    size: tuple[int, int]
    frames_drawn: int = 0


def draw_extracted_frame(extracted: Res[ExtractedFrame], output: ResMut[RenderOutput]):
    if extracted.frame is None:
        return
    output.renderer.render(extracted.frame, output.framebuffer, output.size)
    output.frames_drawn += 1


def render_output_plugin(output: RenderOutput):
    """A plugin that draws every frame into `output`."""

    def plugin(app) -> None:
        app.world.insert_resource(output)
        app.add_system(draw_extracted_frame, Phase.RENDER)

    return plugin
