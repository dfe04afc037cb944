"""Per-emitter GPU buffers of the billboard pass, reused frame to frame.

Slot i serves the frame's i-th `ParticleBatch` (stable while extract emits
the same emitters in the same order). Each column of the live range goes to
its own instance buffer in one `Buffer.write`, straight from the
simulation's column views. Buffers are orphaned each frame (fresh storage
rather than waiting for the previous frame's draw) and grow by doubling;
orphaning keeps the buffer names, so the vertex arrays stay valid and no GL
object is created once the slots are warm.
"""

from __future__ import annotations

import moderngl

from engine.render.frame import ParticleBatch
from engine.render.particle_columns import particle_column
from engine.render.shader_library import ShaderProgram

# ParticleBatch column -> (bytes per particle, moderngl format, shader attribute)
COLUMNS = {
    "positions": (12, "3f/i", "a_position"),
    "ages": (4, "1f/i", "a_age"),
    "lifetimes": (4, "1f/i", "a_lifetime"),
    "sizes": (4, "1f/i", "a_size"),
    "seeds": (4, "1u/i", "a_seed"),
    "velocities": (12, "3f/i", "a_velocity"),
}
INITIAL_CAPACITY = 1024


class ParticleSlot:
    def __init__(self, ctx: moderngl.Context):
        self.ctx = ctx
        self.capacity = INITIAL_CAPACITY
        self.buffers = {name: ctx.buffer(reserve=self.capacity * COLUMNS[name][0], dynamic=True) for name in COLUMNS}
        self._vertex_arrays: dict[ShaderProgram, tuple[int, moderngl.VertexArray]] = {}

    def upload(self, batch: ParticleBatch, with_velocities: bool) -> None:
        """Write the batch's live range; velocities only when the shader variant reads them."""
        count = len(batch.positions)
        while self.capacity < count:
            self.capacity *= 2
        for name, buffer in self.buffers.items():
            if name == "velocities" and not with_velocities:
                continue
            buffer.orphan(self.capacity * COLUMNS[name][0])
            buffer.write(particle_column(batch, name))

    def vertex_array(self, program: ShaderProgram) -> moderngl.VertexArray:
        """The slot's buffers bound to `program`; rebuilt after a shader reload."""
        cached = self._vertex_arrays.get(program)
        if cached is not None and cached[0] == program.generation:
            return cached[1]
        if cached is not None:
            cached[1].release()
        content = [(self.buffers[name], fmt, attribute) for name, (_, fmt, attribute) in COLUMNS.items()]
        # skip_errors: variants without VELOCITY do not declare a_velocity.
        vertex_array = self.ctx.vertex_array(program.program, content, skip_errors=True)
        self._vertex_arrays[program] = (program.generation, vertex_array)
        return vertex_array

    def release(self) -> None:
        for _, vertex_array in self._vertex_arrays.values():
            vertex_array.release()
        self._vertex_arrays.clear()
        for buffer in self.buffers.values():
            buffer.release()
