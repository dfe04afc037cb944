"""HUD text in the top-left corner (time code, shot name).

At start-up Pillow's default font is baked into a glyph atlas: printable ASCII
in a grid of equal cells. Each frame the lines are laid out with numpy (codes
-> cells, cumulative advances -> pen positions) and drawn as instanced quads,
once offset in black as a drop shadow and once in white.
"""

from __future__ import annotations

import moderngl
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from engine.render import bindings
from engine.render.render_stats import RenderStats
from engine.render.shader_library import ShaderLibrary

FIRST_CHAR, LAST_CHAR = 32, 126
FALLBACK_CELL = ord("?") - FIRST_CHAR
ATLAS_COLUMNS = 16
MARGIN_PX = 10


class TextOverlay:
    def __init__(self, ctx: moderngl.Context, shaders: ShaderLibrary, font_size: int = 14):
        self.ctx = ctx
        self.program = shaders.program("text.vert", "text.frag")
        font = ImageFont.load_default(size=font_size)
        atlas, self.cell_size, self.advances = _bake_atlas(font)
        self.line_height = self.cell_size[1] + 2
        self.atlas = ctx.texture((atlas.shape[1], atlas.shape[0]), 1, atlas)
        self.atlas.filter = (moderngl.NEAREST, moderngl.NEAREST)  # drawn at whole-pixel positions, 1:1
        self._capacity = 256
        self._glyphs = ctx.buffer(reserve=self._capacity * 16, dynamic=True)
        self._glyph_count = 0
        self._laid_out: list[str] | None = None
        self._vertex_array: tuple[int, moderngl.VertexArray] | None = None

    def draw(self, lines: list[str], viewport_size: tuple[int, int], stats: RenderStats) -> None:
        """Into the currently bound framebuffer, over whatever is there."""
        if lines != self._laid_out:
            self._upload(lines)
        if not self._glyph_count:
            return
        vertex_array = self._current_vertex_array()
        self.atlas.use(bindings.GLYPH_ATLAS_UNIT)
        self.ctx.disable(moderngl.DEPTH_TEST | moderngl.CULL_FACE)
        self.ctx.enable(moderngl.BLEND)
        self.ctx.blend_func = moderngl.SRC_ALPHA, moderngl.ONE_MINUS_SRC_ALPHA
        self.program.set_uniforms(
            {
                "u_viewport_size": tuple(float(v) for v in viewport_size),
                "u_cell_size": tuple(float(v) for v in self.cell_size),
                "u_atlas_columns": ATLAS_COLUMNS,
                "u_atlas_size": tuple(float(v) for v in self.atlas.size),
            }
        )
        for offset, color in (((1.0, 1.0), (0.0, 0.0, 0.0, 0.75)), ((0.0, 0.0), (1.0, 1.0, 1.0, 1.0))):
            self.program.set_uniforms({"u_offset": offset, "u_text_color": color})
            vertex_array.render(moderngl.TRIANGLE_STRIP, vertices=4, instances=self._glyph_count)
            stats.count_draw()
        self.ctx.disable(moderngl.BLEND)

    def release(self) -> None:
        if self._vertex_array is not None:
            self._vertex_array[1].release()
        self._glyphs.release()
        self.atlas.release()

    def _upload(self, lines: list[str]) -> None:
        self._laid_out = list(lines)
        rows = [self._layout_line(line, MARGIN_PX + i * self.line_height) for i, line in enumerate(lines)]
        glyphs = np.concatenate(rows) if rows else np.zeros((0, 4), np.float32)
        self._glyph_count = glyphs.shape[0]
        if self._glyph_count > self._capacity:
            while self._capacity < self._glyph_count:
                self._capacity *= 2
            self._glyphs.orphan(self._capacity * 16)
        if self._glyph_count:
            self._glyphs.write(glyphs)

    def _layout_line(self, line: str, top: float) -> np.ndarray:
        codes = np.frombuffer(line.encode("ascii", "replace"), np.uint8).astype(np.int64)
        cells = codes - FIRST_CHAR
        cells[(cells < 0) | (cells > LAST_CHAR - FIRST_CHAR)] = FALLBACK_CELL
        advances = self.advances[cells]
        glyphs = np.zeros((cells.size, 4), np.float32)
        glyphs[:, 0] = MARGIN_PX + np.round(np.cumsum(advances) - advances)
        glyphs[:, 1] = top
        glyphs[:, 2] = cells
        return glyphs

    def _current_vertex_array(self) -> moderngl.VertexArray:
        if self._vertex_array is None or self._vertex_array[0] != self.program.generation:
            if self._vertex_array is not None:
                self._vertex_array[1].release()
            vertex_array = self.ctx.vertex_array(self.program.program, [(self._glyphs, "4f/i", "a_glyph")])
            self._vertex_array = (self.program.generation, vertex_array)
        return self._vertex_array[1]


def _bake_atlas(font: ImageFont.ImageFont) -> tuple[np.ndarray, tuple[int, int], np.ndarray]:
    """(atlas (H, W) uint8 coverage, cell (w, h), per-cell advance widths)."""
    chars = [chr(c) for c in range(FIRST_CHAR, LAST_CHAR + 1)]
    advances = np.array([font.getlength(c) for c in chars], np.float32)
    ascent, descent = font.getmetrics()
    cell_w = int(np.ceil(max(font.getbbox(c)[2] for c in chars))) + 1
    cell_h = ascent + descent
    rows = -(-len(chars) // ATLAS_COLUMNS)
    image = Image.new("L", (cell_w * ATLAS_COLUMNS, cell_h * rows), 0)
    draw = ImageDraw.Draw(image)
    for index, char in enumerate(chars):
        draw.text(((index % ATLAS_COLUMNS) * cell_w, (index // ATLAS_COLUMNS) * cell_h), char, font=font, fill=255)
    return np.asarray(image, np.uint8).copy(), (cell_w, cell_h), advances
