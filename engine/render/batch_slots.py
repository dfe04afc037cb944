"""Per-batch instance buffers and vertex arrays, reused frame to frame.

A slot belongs to one (primitive, material, n-th occurrence) key, which is
stable as long as extract emits the same batches, so after warm-up no GL
objects are created: instance arrays are written into the slot's buffers
(grown by doubling with `orphan`, which keeps the buffer name and therefore
the vertex arrays valid). The colour and shadow passes cull differently, so
each has its own instance buffers.
"""

from __future__ import annotations

from collections.abc import Iterable

import moderngl
import numpy as np

from engine.assets.model import Material, Primitive
from engine.render.gpu_cache import GpuPrimitive
from engine.render.shader_library import ShaderProgram

MODEL_BYTES = 64  # mat4
TINT_BYTES = 16  # vec4


class InstanceBuffers:
    def __init__(self, ctx: moderngl.Context, capacity: int):
        self.capacity = capacity
        self.models = ctx.buffer(reserve=capacity * MODEL_BYTES, dynamic=True)
        self.tints = ctx.buffer(reserve=capacity * TINT_BYTES, dynamic=True)

    def upload(self, models: np.ndarray, tints: np.ndarray | None) -> None:
        """One write per array, straight from the (K, 4, 4) / (K, 4) float32 data.

        Without tints the shader ignores the tint attribute, but the buffer is
        still sized for K instances so the draw never reads out of bounds."""
        count = models.shape[0]
        if count > self.capacity:
            while self.capacity < count:
                self.capacity *= 2
            self.tints.orphan(self.capacity * TINT_BYTES)
        # Orphaning each frame lets the driver hand out fresh storage instead of
        # waiting for draws that still read last frame's matrices.
        self.models.orphan(self.capacity * MODEL_BYTES)
        self.models.write(np.ascontiguousarray(models, dtype=np.float32))
        if tints is not None:
            self.tints.write(np.ascontiguousarray(tints, dtype=np.float32))

    def release(self) -> None:
        self.models.release()
        self.tints.release()


class BatchSlot:
    def __init__(self, ctx: moderngl.Context, capacity: int):
        self.ctx = ctx
        self.color = InstanceBuffers(ctx, capacity)
        self.shadow = InstanceBuffers(ctx, capacity)
        self._vertex_arrays: dict[tuple[ShaderProgram, InstanceBuffers], tuple[int, moderngl.VertexArray]] = {}

    def vertex_array(
        self, program: ShaderProgram, primitive: GpuPrimitive, instances: InstanceBuffers
    ) -> moderngl.VertexArray:
        """Binds the primitive and `instances` to `program`; rebuilt after a shader reload."""
        key = (program, instances)
        cached = self._vertex_arrays.get(key)
        if cached is not None and cached[0] == program.generation:
            return cached[1]
        if cached is not None:
            cached[1].release()
        content = [
            *primitive.vertex_buffers,
            (instances.models, "16f/i", "a_model"),
            (instances.tints, "4f/i", "a_tint"),
        ]
        # skip_errors: variants drop attributes they do not read (the shadow pass ignores normals).
        vertex_array = self.ctx.vertex_array(
            program.program, content, primitive.index_buffer, index_element_size=4, skip_errors=True
        )
        self._vertex_arrays[key] = (program.generation, vertex_array)
        return vertex_array

    def release(self) -> None:
        for _, vertex_array in self._vertex_arrays.values():
            vertex_array.release()
        self._vertex_arrays.clear()
        self.color.release()
        self.shadow.release()


class BatchSlots:
    """Slots by (primitive, material, occurrence index within the frame)."""

    INITIAL_CAPACITY = 64

    def __init__(self, ctx: moderngl.Context):
        self.ctx = ctx
        self._slots: dict[tuple[Primitive, Material, int], BatchSlot] = {}

    def get(self, primitive: Primitive, material: Material, occurrence: int, instance_count: int) -> BatchSlot:
        key = (primitive, material, occurrence)
        slot = self._slots.get(key)
        if slot is None:
            capacity = max(self.INITIAL_CAPACITY, 1 << (instance_count - 1).bit_length())
            slot = self._slots[key] = BatchSlot(self.ctx, capacity)
        return slot

    def release_for(self, primitives: Iterable[Primitive]) -> None:
        doomed = set(primitives)
        for key in [key for key in self._slots if key[0] in doomed]:
            self._slots.pop(key).release()

    def release(self) -> None:
        for slot in self._slots.values():
            slot.release()
        self._slots.clear()
