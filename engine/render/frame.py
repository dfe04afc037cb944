"""What the extract phase hands the renderer: plain arrays, no ECS, no GL.

The renderer reads only a `RenderFrame`. Matrices use the GL layout described
in `engine.assets.model` (C-order bytes = column-major mat4, `M[3, :3]` is the
translation), so instance arrays go to `Buffer.write` without a transpose.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.assets.model import Material, Primitive, TextureImage

MAX_POINT_LIGHTS = 8


@dataclass
class ViewParams:
    view: np.ndarray  # (4, 4) float32 world -> camera
    projection: np.ndarray  # (4, 4) float32 camera -> clip (OpenGL, -1..1 depth)
    position: np.ndarray  # (3,) float32 camera position in world
    near: float = 0.1
    far: float = 500.0
    exposure: float = 1.0  # linear multiplier before the tonemap


@dataclass
class LightParams:
    # Directional key light; `sun_direction` is the direction light travels (unit).
    sun_direction: np.ndarray = field(default_factory=lambda: np.array([-0.4, -1.0, -0.3], np.float32))
    sun_color: np.ndarray = field(default_factory=lambda: np.array([1.0, 0.95, 0.88], np.float32))
    sun_intensity: float = 3.0
    sun_shadows: bool = True
    # Shadow frustum: None = fit to the frame's casters and the view.
    shadow_center: np.ndarray | None = None
    shadow_radius: float | None = None
    # Hemisphere ambient fill.
    sky_color: np.ndarray = field(default_factory=lambda: np.array([0.55, 0.65, 0.8], np.float32))
    ground_color: np.ndarray = field(default_factory=lambda: np.array([0.25, 0.22, 0.2], np.float32))
    ambient_intensity: float = 0.6
    # Point lights, at most MAX_POINT_LIGHTS (extra ones are ignored).
    point_positions: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), np.float32))
    point_colors: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), np.float32))
    point_intensities: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    point_ranges: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))


@dataclass
class DrawBatch:
    """Instances sharing one primitive and one material: one instanced draw.

    GPU resources are cached by object identity of `primitive`, `material` and
    the `TextureImage`s, so extract must pass the same objects every frame.
    """

    primitive: Primitive
    material: Material
    textures: list[TextureImage]  # the owning asset's textures; material indexes into it
    models: np.ndarray  # (K, 4, 4) float32 instance model -> world matrices
    # Skinning: per-instance joint matrices in model space (joint_world_in_model @ ... with
    # inverse bind applied), i.e. vertex_model = sum_i w_i * (v @ palette[k, joint_i]).
    joint_palettes: np.ndarray | None = None  # (K, J, 4, 4) float32
    morph_weights: np.ndarray | None = None  # (K, T) float32
    tints: np.ndarray | None = None  # (K, 4) float32 multiplies base colour; None = white
    cast_shadows: bool = True
    mirrored: bool = False  # every model matrix has a negative determinant: triangles wind the other way
    effect: EffectUse | None = None  # a learned effect replaces a material channel


@dataclass(frozen=True)
class EffectUse:
    """How a batch shows a learned effect: which running effect (`EffectState.key`) in which
    material channel ("base_color" or "emissive"), tiled `scale` times per UV unit, times `tint`."""

    key: tuple
    channel: str
    scale: float = 1.0
    tint: tuple[float, float, float] = (1.0, 1.0, 1.0)


@dataclass
class EffectState:
    """A learned effect the renderer keeps running: `steps` automaton steps since seeding this frame.

    `key` identifies the running instance (same weights, grid, seed and borders); `weights` and
    `config` come from the effect's checkpoint (systems/effects/SPEC.md)."""

    key: tuple
    weights: dict
    config: object
    size: int
    seed: int
    wrap: bool
    steps: int


@dataclass
class GroundParams:
    """An infinite-looking floor at y = height that receives shadows, with a grid."""

    height: float = 0.0
    color: np.ndarray = field(default_factory=lambda: np.array([0.42, 0.42, 0.40], np.float32))
    grid_color: np.ndarray = field(default_factory=lambda: np.array([0.30, 0.30, 0.29], np.float32))
    grid_spacing: float = 1.0
    extent: float = 60.0  # half size in metres; fades out towards the edge


@dataclass
class ParticleBatch:
    """One emitter's live particles, as views into the simulation's columns (no copies).

    Colour and size over life are lookup tables indexed by age / lifetime, so
    the simulation writes only the state it integrates and both render paths
    (GL billboards, CPU splat) evaluate the curves themselves.
    """

    positions: np.ndarray  # (n, 3) float32 world
    velocities: np.ndarray  # (n, 3) float32 m/s (velocity stretch, extrapolation)
    ages: np.ndarray  # (n,) float32 seconds
    lifetimes: np.ndarray  # (n,) float32 seconds
    sizes: np.ndarray  # (n,) float32 diameter in metres at size-curve 1.0
    seeds: np.ndarray  # (n,) uint32 per-particle random bits (rotation, flipbook offset)
    color_over_life: np.ndarray  # (L, 4) float32 linear RGBA, premultiplied-free; alpha = opacity
    size_over_life: np.ndarray  # (L,) float32 multiplier
    blend: str = "additive"  # additive | alpha
    emissive: float = 1.0  # HDR multiplier on colour (sparks and embers glow above 1)
    texture: TextureImage | None = None  # sprite or flipbook atlas; None = a soft round disc
    flipbook: tuple[int, int] = (1, 1)  # columns, rows; frame chosen by age / lifetime
    stretch: float = 0.0  # seconds of velocity to stretch along (sparks); 0 = round billboards
    softness: float = 0.25  # metres over which particles fade where they meet geometry
    extrapolate: float = 0.0  # seconds from the last fixed step to this frame: draw at p + v * extrapolate


@dataclass
class RenderFrame:
    view: ViewParams
    lights: LightParams = field(default_factory=LightParams)
    batches: list[DrawBatch] = field(default_factory=list)
    ground: GroundParams | None = field(default_factory=GroundParams)
    clear_color: np.ndarray = field(default_factory=lambda: np.array([0.62, 0.70, 0.80], np.float32))
    overlay_lines: list[str] = field(default_factory=list)  # HUD text (top-left), window only by default
    particles: list[ParticleBatch] = field(default_factory=list)
    effects: list[EffectState] = field(default_factory=list)
    particle_path: str = "auto"  # auto | gl | cpu: auto picks the CPU splat on software rasterizers
