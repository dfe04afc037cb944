"""A learned effect (neural cellular automaton, `systems/effects/SPEC.md`) running on the GPU.

`EffectRunner(ctx, weights, config, size)` owns everything one running effect needs,
created once: two sets of RGBA32F state textures (ping-pong; channel c in texture
c // 4, component c % 4) with a framebuffer each (MRT), the step program generated
by `systems.effects.glsl_export` with the weights baked in, a display program and
the colour texture materials sample. Nothing is allocated per step or per frame.
Runners of the same effect and border mode share one step program (compiling it
takes about 1.3 s on llvmpipe; grid size and seed are not baked in).

    config, weights, meta = load_effect("energy.pt")      # systems.effects.checkpoint
    runner = EffectRunner(ctx, weights, config, 128, wrap=True, seed=7)
    runner.step(64)                   # 64 steps now (warm-up)
    runner.advance(dt)                # steps at `rate` per second, capped per frame
    texture = runner.color_texture    # RGBA16F linear RGB, mipmapped, REPEAT: bind it in a material

Step k after seeding uses the SPEC hash mask of (column, row, k, seed), so a GLSL
run matches `NCA.step(x, k, seed)` from the torch model step for step. Borders wrap
(REPEAT) or clamp (CLAMP_TO_EDGE): the state textures' own wrap mode applies them.

Torch inference is the fallback: with `backend="torch"`, or when the step program
cannot be built on this driver, steps run on the CPU through the torch model and
the state is uploaded to the same textures for display.

GL state: a step or a display update disables blending, depth test, face culling
and the scissor test, binds texture units 0..4 and leaves its own framebuffer bound:
bind your target (and viewport) again before drawing.
"""

from __future__ import annotations

import logging
import math
import weakref

import moderngl
import numpy as np

from systems.effects.glsl_export import (
    DEFAULT_LAYOUT,
    FULLSCREEN_VERTEX_SOURCE,
    display_shader_source,
    effect_shader_source,
    effect_shape,
)

log = logging.getLogger(__name__)

# Step programs shared by the runners of one context with the same source (the same
# effect, borders and mask kind; grid size and seed are not baked in): compiling one
# takes about 1.3 s on llvmpipe. Each entry: [program, runners holding it].
_SHARED_PROGRAMS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

DEFAULT_RATE = 30.0  # steps per second for advance()
DEFAULT_MAX_STEPS_PER_FRAME = 8
_U32 = 0xFFFFFFFF


class EffectRunner:
    """One running learned effect. `size` is a side (square grid) or (width, height).

    `color` picks the display texture: "linear" (RGBA16F, linear RGB, for lit
    materials; the default) or "srgb" (RGBA8, sRGB-encoded, to show as is).
    `display_size` is the colour texture's size (default: the grid's)."""

    def __init__(
        self,
        ctx: moderngl.Context,
        weights,
        config=None,
        size: int | tuple[int, int] = 128,
        *,
        wrap: bool = True,
        seed: int = 0,
        fire_rate: float | None = None,
        rate: float = DEFAULT_RATE,
        max_steps_per_frame: int = DEFAULT_MAX_STEPS_PER_FRAME,
        color: str = "linear",
        display_size: int | tuple[int, int] | None = None,
        backend: str = "glsl",
        layout: str = DEFAULT_LAYOUT,
    ):
        if backend not in ("glsl", "torch"):
            raise ValueError(f"backend must be 'glsl' or 'torch', not {backend!r}")
        if color not in ("linear", "srgb"):
            raise ValueError(f"color must be 'linear' or 'srgb', not {color!r}")
        self.ctx = ctx
        self.weights = {name: _numpy(weights[name]) for name in ("w1", "b1", "w2")}
        self.config = config
        self.shape = effect_shape(self.weights, config)
        self.channels = self.shape.channels
        self.size = _size_pair(size)  # (width, height)
        self.wrap = bool(wrap)
        self.fire_rate = self.shape.fire_rate if fire_rate is None else float(fire_rate)
        self.rate = float(rate)
        self.max_steps_per_frame = int(max_steps_per_frame)
        self.layout = layout
        self.seed_value = int(seed) & _U32
        self.step_index = 0  # steps since seeding; the next step uses this index in the hash
        self._accumulator = 0.0  # fractional steps carried between advance() calls
        self._released = False
        self._objects: list = []  # every GL object this runner created, released in release()

        self._sets: list[list[moderngl.Texture]] = []
        self._framebuffers: list[moderngl.Framebuffer] = []
        self._programs: dict[bool, tuple] = {}
        self._shared_sources: list[str] = []  # step programs held in _SHARED_PROGRAMS
        self._mask_texture: moderngl.Texture | None = None
        self.color_output = color
        self.display_size = self.size if display_size is None else _size_pair(display_size)
        self.backend = backend
        self._current = 0  # the set holding the state; steps write the other one
        self._color_dirty = True
        # Display controls (set_display): palette and tiling of the colour texture.
        self.tint = (1.0, 1.0, 1.0)
        self.brightness = 1.0
        self.hue_degrees = 0.0
        self.uv_scale = (1.0, 1.0)
        self.uv_offset = (0.0, 0.0)
        self._torch_model = None
        self._torch_state = None  # the state while the torch backend runs it (1, C, H, W)
        try:
            self._create_gl_objects()
        except BaseException:
            self.release()  # whatever was created before the failure
            raise
        self.seed()

    def _create_gl_objects(self) -> None:
        ctx, color = self.ctx, self.color_output
        width, height = self.size
        textures = self.shape.textures
        for _ in range(2):
            state = [self._track(ctx.texture((width, height), 4, dtype="f4")) for _ in range(textures)]
            for texture in state:
                texture.filter = (moderngl.NEAREST, moderngl.NEAREST)
                texture.repeat_x = texture.repeat_y = self.wrap
            self._sets.append(state)
            self._framebuffers.append(self._track(ctx.framebuffer(color_attachments=state)))
        self._zeros = bytes(width * height * 16)

        # Display: state -> colour texture (mipmapped, linear filtering, REPEAT).
        dtype = "f2" if color == "linear" else "f1"
        self._color = self._track(ctx.texture(self.display_size, 4, dtype=dtype))
        self._color.build_mipmaps()
        self._color.filter = (moderngl.LINEAR_MIPMAP_LINEAR, moderngl.LINEAR)
        self._color.repeat_x = self._color.repeat_y = True
        self._color_framebuffer = self._track(ctx.framebuffer(color_attachments=[self._color]))
        self._display_program = self._track(
            ctx.program(vertex_shader=FULLSCREEN_VERTEX_SOURCE, fragment_shader=display_shader_source(output=color))
        )
        self._display_program["u_state0"].value = 0
        self._display_vao = self._track(ctx.vertex_array(self._display_program, []))
        self._display_sampler = self._track(
            ctx.sampler(repeat_x=self.wrap, repeat_y=self.wrap, filter=(moderngl.LINEAR, moderngl.LINEAR))
        )

        # Step programs: hash mask (always), fixed mask texture (built on first use, for tests).
        if self.backend == "glsl":
            try:
                self._step_program(mask=False)
            except moderngl.Error as exc:  # a driver that cannot take the program: run on the CPU
                log.warning("learned effect: GLSL step failed to build, using torch inference: %s", exc)
                self.backend = "torch"

    # ------------------------------------------------------------------ state
    def seed(self) -> None:
        """The SPEC seed state (all zeros); the step counter restarts at 0."""
        for texture in self._sets[self._current]:
            texture.write(self._zeros)
        if self._torch_state is not None:
            self._torch_state.zero_()
        self.step_index = 0
        self._accumulator = 0.0
        self._color_dirty = True

    def reseed(self, seed: int | None = None) -> None:
        """Seed again, with a new seed when given (a different, equally good pattern)."""
        if seed is not None:
            self.seed_value = int(seed) & _U32
        self.seed()

    def read_state(self) -> np.ndarray:
        """The state as float32 (C, H, W), row 0 = texture row 0 = torch row 0."""
        if self._torch_state is not None:
            return self._torch_state[0].numpy().copy()
        width, height = self.size
        planes = [np.frombuffer(t.read(), np.float32).reshape(height, width, 4) for t in self._sets[self._current]]
        return np.ascontiguousarray(np.concatenate(planes, axis=2)[:, :, : self.channels].transpose(2, 0, 1))

    def write_state(self, state) -> None:
        """Replace the state with a (C, H, W) array (the step counter is kept)."""
        state = _numpy(state)
        if state.ndim == 4 and state.shape[0] == 1:
            state = state[0]
        width, height = self.size
        if state.shape != (self.channels, height, width):
            raise ValueError(f"state must be ({self.channels}, {height}, {width}), got {state.shape}")
        if self._torch_state is not None:
            self._torch_state[0] = _torch().from_numpy(state.copy())
        self._upload(state)
        self._color_dirty = True

    # ------------------------------------------------------------------ steps
    def step(self, n: int = 1, *, mask=None) -> None:
        """`n` steps. `mask` ((H, W), 1 = update, 0 = keep) replaces the hash mask for
        all of them (for tests: the stochastic mask fixed)."""
        n = int(n)
        if n <= 0:
            return
        self._check_alive()
        if self.backend == "torch":
            self._step_torch(n, mask)
            return
        program, vao, step_uniform = self._step_program(mask=mask is not None)
        units = range(self.shape.textures)
        if mask is not None:
            self._mask(mask).use(self.shape.textures)
        self.ctx.disable(moderngl.BLEND | moderngl.DEPTH_TEST | moderngl.CULL_FACE)
        self.ctx.scissor = None
        for name, value in (("u_fire_rate", self.fire_rate), ("u_seed", self.seed_value)):
            member = program.get(name, None)  # the fixed-mask variant has neither
            if member is not None:
                member.value = value
        for _ in range(n):
            source, target = self._current, 1 - self._current
            self._framebuffers[target].use()
            for unit, texture in zip(units, self._sets[source]):
                texture.use(unit)
            if step_uniform is not None:
                step_uniform.value = self.step_index & _U32
            vao.render(moderngl.TRIANGLES, vertices=3)
            self._current = target
            self.step_index += 1
        self._color_dirty = True

    def advance(self, dt: float, rate: float | None = None) -> int:
        """Run the steps `dt` seconds take at `rate` steps per second (default:
        `self.rate`). Fractions carry over to the next call; at most
        `max_steps_per_frame` run per call and a longer backlog is dropped (the
        effect slows down rather than stalling the frame). Returns the steps taken."""
        rate = self.rate if rate is None else float(rate)
        if rate < 0.0 or not math.isfinite(rate):
            raise ValueError(f"rate must be a finite number >= 0, got {rate}")
        if dt > 0.0:
            self._accumulator += float(dt) * rate
        steps = math.floor(self._accumulator + 1e-9)
        if steps > self.max_steps_per_frame:
            steps = self.max_steps_per_frame
            self._accumulator = min(self._accumulator - math.floor(self._accumulator + 1e-9), 1.0)
        else:
            self._accumulator = max(self._accumulator - steps, 0.0)
        self.step(steps)
        return steps

    # ---------------------------------------------------------------- display
    def set_display(self, *, tint=None, brightness=None, hue_degrees=None, uv_scale=None, uv_offset=None) -> None:
        """Palette and tiling of the colour texture (applied at its next update)."""
        if tint is not None:
            self.tint = tuple(float(c) for c in tint[:3])
        if brightness is not None:
            self.brightness = float(brightness)
        if hue_degrees is not None:
            self.hue_degrees = float(hue_degrees)
        if uv_scale is not None:
            self.uv_scale = _pair(uv_scale)
        if uv_offset is not None:
            self.uv_offset = _pair(uv_offset)
        self._color_dirty = True

    @property
    def color_texture(self) -> moderngl.Texture:
        """The display texture, up to date with the state (updated here when stale)."""
        self.update_color()
        return self._color

    def update_color(self) -> None:
        """Render the state into the colour texture and rebuild its mipmaps, if stale."""
        self._check_alive()
        if not self._color_dirty:
            return
        if self._torch_state is not None:
            self._upload(self._torch_state[0].numpy())
        program = self._display_program
        program["u_tint"].value = self.tint
        program["u_brightness"].value = self.brightness
        program["u_hue"].value = math.radians(self.hue_degrees)
        program["u_uv_scale"].value = self.uv_scale
        program["u_uv_offset"].value = self.uv_offset
        self.ctx.disable(moderngl.BLEND | moderngl.DEPTH_TEST | moderngl.CULL_FACE)
        self.ctx.scissor = None
        self._color_framebuffer.use()
        self._sets[self._current][0].use(0)
        self._display_sampler.use(0)
        self._display_vao.render(moderngl.TRIANGLES, vertices=3)
        self._display_sampler.clear(0)
        self._color.build_mipmaps()
        self._color_dirty = False

    def read_color(self) -> np.ndarray:
        """The colour texture's level 0 as float32 (H, W, 4) (a test and debug aid)."""
        texture = self.color_texture
        width, height = self.display_size
        if self.color_output == "linear":
            return np.frombuffer(texture.read(), np.float16).reshape(height, width, 4).astype(np.float32)
        return np.frombuffer(texture.read(), np.uint8).reshape(height, width, 4).astype(np.float32) / 255.0

    # ---------------------------------------------------------------- cleanup
    @property
    def gl_objects(self) -> int:
        """How many GL objects this runner holds, its shared step programs included
        (constant once the fixed-mask variant, if used, is built)."""
        return len(self._objects) + len(self._shared_sources)

    def release(self) -> None:
        if self._released:
            return
        self._released = True
        for obj in reversed(self._objects):
            obj.release()
        self._objects.clear()
        for source in self._shared_sources:
            _release_program(self.ctx, source)
        self._shared_sources.clear()
        self._programs.clear()
        self._sets.clear()
        self._framebuffers.clear()
        self._mask_texture = None

    # --------------------------------------------------------------- internal
    def _track(self, obj):
        self._objects.append(obj)
        return obj

    def _check_alive(self) -> None:
        if self._released:
            raise RuntimeError("EffectRunner used after release()")

    def _step_program(self, mask: bool) -> tuple:
        entry = self._programs.get(mask)
        if entry is None:
            source = effect_shader_source(
                self.weights, self.config, wrap=self.wrap, mask_texture=mask, layout=self.layout
            )
            program = _acquire_program(self.ctx, source)
            self._shared_sources.append(source)
            for t in range(self.shape.textures):
                program[f"u_state{t}"].value = t
            if mask:
                program["u_mask"].value = self.shape.textures
            vao = self._track(self.ctx.vertex_array(program, []))
            entry = self._programs[mask] = (program, vao, program.get("u_step", None))
        return entry

    def _mask(self, mask) -> moderngl.Texture:
        mask = np.ascontiguousarray(_numpy(mask), dtype=np.float32)
        width, height = self.size
        if mask.shape != (height, width):
            mask = mask.reshape(height, width)  # (1, H, W) / (1, 1, H, W) too
        if self._mask_texture is None:
            self._mask_texture = self._track(self.ctx.texture((width, height), 1, dtype="f4"))
            self._mask_texture.filter = (moderngl.NEAREST, moderngl.NEAREST)
        self._mask_texture.write(mask.tobytes())
        return self._mask_texture

    def _upload(self, state: np.ndarray) -> None:
        width, height = self.size
        padded = np.zeros((self.shape.textures * 4, height, width), np.float32)
        padded[: self.channels] = state
        for t, texture in enumerate(self._sets[self._current]):
            texture.write(np.ascontiguousarray(padded[4 * t : 4 * t + 4].transpose(1, 2, 0)).tobytes())

    def _step_torch(self, n: int, mask) -> None:
        torch = _torch()
        if self._torch_model is None:
            self._torch_model = torch_model(self.weights, self.config, fire_rate=self.fire_rate)
        if self._torch_state is None:
            self._torch_state = torch.from_numpy(self.read_state()).unsqueeze(0)
        model = self._torch_model
        mask_tensor = None if mask is None else torch.as_tensor(_numpy(mask)).reshape(self.size[1], self.size[0])
        with torch.no_grad():
            x = self._torch_state
            for _ in range(n):
                x = model.step(x, self.step_index & _U32, self.seed_value, mask=mask_tensor, wrap=self.wrap)
                self.step_index += 1
            self._torch_state = x.contiguous()
        self._color_dirty = True


def _acquire_program(ctx: moderngl.Context, fragment_source: str) -> moderngl.Program:
    table = _SHARED_PROGRAMS.setdefault(ctx, {})
    entry = table.get(fragment_source)
    if entry is None:
        program = ctx.program(vertex_shader=FULLSCREEN_VERTEX_SOURCE, fragment_shader=fragment_source)
        entry = table[fragment_source] = [program, 0]
    entry[1] += 1
    return entry[0]


def _release_program(ctx: moderngl.Context, fragment_source: str) -> None:
    table = _SHARED_PROGRAMS.get(ctx, {})
    entry = table.get(fragment_source)
    if entry is None:
        return
    entry[1] -= 1
    if entry[1] <= 0:
        entry[0].release()
        del table[fragment_source]


def torch_model(weights, config=None, *, fire_rate: float | None = None):
    """The torch reference model (`systems.effects.nca_model.NCA`) holding these weights."""
    torch = _torch()
    from systems.effects.nca_model import NCA, NCAConfig

    shape = effect_shape(weights, config)
    rate = shape.fire_rate if fire_rate is None else float(fire_rate)
    model = NCA(NCAConfig(channels=shape.channels, hidden=shape.hidden, fire_rate=rate))
    with torch.no_grad():
        for name in ("w1", "b1", "w2"):
            getattr(model, name).copy_(torch.from_numpy(np.ascontiguousarray(_numpy(weights[name]))))
    return model.eval()


def _torch():
    import torch

    return torch


def _numpy(value) -> np.ndarray:
    detach = getattr(value, "detach", None)
    if detach is not None:
        value = detach().cpu().numpy()
    return np.asarray(value, dtype=np.float32)


def _size_pair(size) -> tuple[int, int]:
    if isinstance(size, (int, np.integer)):
        width = height = int(size)
    else:
        width, height = (int(v) for v in size)
    if width < 1 or height < 1:
        raise ValueError(f"effect size must be positive, got {size}")
    return width, height


def _pair(value) -> tuple[float, float]:
    if isinstance(value, (int, float)):
        return float(value), float(value)
    return float(value[0]), float(value[1])
