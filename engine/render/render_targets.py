"""Internal render targets: the multisampled HDR scene buffer, the resolved
scene distance and the shadow map."""

from __future__ import annotations

import moderngl


class HdrTarget:
    """RGBA16F colour + depth, multisampled when `samples` > 1.

    Both are (multisample) textures rather than renderbuffers because passes
    read them per sample: the tonemap resolves the colour (shaders/tonemap.frag)
    and particles need the scene depth (shaders/depth_resolve.frag).
    """

    def __init__(self, ctx: moderngl.Context, size: tuple[int, int], samples: int):
        self.size = size
        self.samples = samples
        gl_samples = samples if samples > 1 else 0
        self.color = ctx.texture(size, 4, samples=gl_samples, dtype="f2")
        if not gl_samples:
            self.color.filter = (moderngl.NEAREST, moderngl.NEAREST)
        self.depth = ctx.depth_texture(size, samples=gl_samples)
        if not gl_samples:
            self.depth.compare_func = ""  # read raw depth, not a shadow comparison
            self.depth.filter = (moderngl.NEAREST, moderngl.NEAREST)
        self.framebuffer = ctx.framebuffer([self.color], self.depth)

    def release(self) -> None:
        self.framebuffer.release()
        self.color.release()
        self.depth.release()


class SceneDistanceTarget:
    """R32F view distance of the opaque scene, one sample per pixel (row 0 = bottom).

    Particles fade against it on the GPU and the CPU splat reads it back, so it
    holds metres along the view axis rather than non-linear depth.
    """

    def __init__(self, ctx: moderngl.Context, size: tuple[int, int]):
        self.size = size
        self.texture = ctx.texture(size, 1, dtype="f4")
        self.texture.filter = (moderngl.NEAREST, moderngl.NEAREST)
        self.framebuffer = ctx.framebuffer([self.texture])

    def release(self) -> None:
        self.framebuffer.release()
        self.texture.release()


class ShadowMap:
    """Depth texture sampled with hardware comparison (sampler2DShadow)."""

    def __init__(self, ctx: moderngl.Context, size: int):
        self.size = size
        self.depth = ctx.depth_texture((size, size))
        self.depth.compare_func = "<="
        self.depth.filter = (moderngl.LINEAR, moderngl.LINEAR)  # bilinear PCF on top of the taps
        self.depth.repeat_x = self.depth.repeat_y = False
        self.framebuffer = ctx.framebuffer(depth_attachment=self.depth)

    def release(self) -> None:
        self.framebuffer.release()
        self.depth.release()


def usable_msaa_samples(ctx: moderngl.Context, requested: int) -> int:
    """`requested` clamped to what the driver offers; 1 means no MSAA."""
    return max(1, min(requested, ctx.max_samples))
