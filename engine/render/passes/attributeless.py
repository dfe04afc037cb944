"""A draw with no vertex buffers: shaders build geometry from gl_VertexID."""

from __future__ import annotations

import moderngl

from engine.render.shader_library import ShaderProgram


class AttributelessDraw:
    def __init__(self, ctx: moderngl.Context, program: ShaderProgram, mode: int, vertices: int):
        self.ctx = ctx
        self.program = program
        self.mode = mode
        self.vertices = vertices
        self._generation = -1
        self._vertex_array: moderngl.VertexArray | None = None

    def render(self, uniforms: dict | None = None) -> None:
        if self._generation != self.program.generation:  # rebuilt after a shader hot reload
            self.release()
            self._vertex_array = self.ctx.vertex_array(self.program.program, [])
            self._generation = self.program.generation
        if uniforms:
            self.program.set_uniforms(uniforms)
        self._vertex_array.render(self.mode, vertices=self.vertices)

    def release(self) -> None:
        if self._vertex_array is not None:
            self._vertex_array.release()
            self._vertex_array = None
