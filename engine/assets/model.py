"""Plain-data description of a loaded 3D model (glTF semantics, numpy arrays).

Loaders (glTF/GLB, OBJ/PLY/STL via trimesh) produce a `ModelAsset`; the glTF
writer consumes one; the renderer uploads `Primitive`/`Material`/`TextureImage`
objects from it. Nothing here touches GL or the ECS.

Conventions
- Units metres, right-handed, +Y up (glTF).
- Quaternions are (x, y, z, w) float32, as glTF and pyrr store them.
- Matrices are float32 (4, 4) in *GL layout*: the C-order bytes are an
  OpenGL column-major mat4, so `M[3, :3]` is the translation, points are row
  vectors (`p @ M`), `A @ B` means "apply A, then B" (world = local @ parent),
  and `Buffer.write(M)` needs no transpose. This matches pyrr and glTF's flat
  16-float arrays reshaped to (4, 4).
- Colours in materials are linear (glTF factors are linear already).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# OpenGL sampler enums as used by glTF samplers
GL_NEAREST, GL_LINEAR = 9728, 9729
GL_LINEAR_MIPMAP_LINEAR = 9987
GL_REPEAT, GL_CLAMP_TO_EDGE, GL_MIRRORED_REPEAT = 10497, 33071, 33648


@dataclass(eq=False)
class TextureImage:
    """Decoded RGBA8 image plus sampler state. `srgb` is set by how materials use it."""

    name: str
    pixels: np.ndarray  # (H, W, 4) uint8, row 0 = top of the image
    srgb: bool = True
    wrap_s: int = GL_REPEAT
    wrap_t: int = GL_REPEAT
    min_filter: int = GL_LINEAR_MIPMAP_LINEAR
    mag_filter: int = GL_LINEAR


@dataclass(eq=False)
class Material:
    """glTF metallic-roughness material. Texture fields index `ModelAsset.textures`."""

    name: str = "default"
    base_color: np.ndarray = field(default_factory=lambda: np.ones(4, np.float32))
    base_color_texture: int | None = None
    metallic: float = 1.0
    roughness: float = 1.0
    metallic_roughness_texture: int | None = None  # G = roughness, B = metallic
    normal_texture: int | None = None
    normal_scale: float = 1.0
    occlusion_texture: int | None = None  # R channel
    occlusion_strength: float = 1.0
    emissive: np.ndarray = field(default_factory=lambda: np.zeros(3, np.float32))
    emissive_texture: int | None = None
    alpha_mode: str = "OPAQUE"  # OPAQUE | MASK | BLEND
    alpha_cutoff: float = 0.5
    double_sided: bool = False
    unlit: bool = False  # KHR_materials_unlit


@dataclass(eq=False)
class Primitive:
    """One drawable triangle list. Optional attributes are None when absent."""

    positions: np.ndarray  # (N, 3) float32
    indices: np.ndarray  # (M,) uint32, triangle list (strips/fans already converted)
    normals: np.ndarray | None = None  # (N, 3) float32
    uv0: np.ndarray | None = None  # (N, 2) float32, glTF convention (v down)
    tangents: np.ndarray | None = None  # (N, 4) float32
    colors: np.ndarray | None = None  # (N, 4) float32 linear
    joints: np.ndarray | None = None  # (N, 4) uint16, indices into the skin's joints
    weights: np.ndarray | None = None  # (N, 4) float32, rows sum to 1
    material: int | None = None  # index into ModelAsset.materials
    morph_positions: np.ndarray | None = None  # (T, N, 3) float32 deltas
    morph_normals: np.ndarray | None = None  # (T, N, 3) float32 deltas

    @property
    def vertex_count(self) -> int:
        return int(self.positions.shape[0])

    @property
    def morph_target_count(self) -> int:
        return 0 if self.morph_positions is None else int(self.morph_positions.shape[0])

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        return self.positions.min(axis=0), self.positions.max(axis=0)


@dataclass(eq=False)
class Mesh:
    name: str
    primitives: list[Primitive]
    default_weights: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    target_names: list[str] = field(default_factory=list)  # morph target names (extras.targetNames)


@dataclass(eq=False)
class Node:
    name: str
    parent: int = -1
    children: list[int] = field(default_factory=list)
    translation: np.ndarray = field(default_factory=lambda: np.zeros(3, np.float32))
    rotation: np.ndarray = field(default_factory=lambda: np.array([0, 0, 0, 1], np.float32))
    scale: np.ndarray = field(default_factory=lambda: np.ones(3, np.float32))
    mesh: int | None = None
    skin: int | None = None
    camera: int | None = None
    weights: np.ndarray | None = None  # node-level morph weight override


@dataclass(eq=False)
class Skin:
    name: str
    joints: np.ndarray  # (J,) int32 node indices
    inverse_bind_matrices: np.ndarray  # (J, 4, 4) float32, GL layout (see module doc)
    skeleton: int | None = None


@dataclass(eq=False)
class AnimationChannel:
    node: int
    path: str  # translation | rotation | scale | weights
    interpolation: str  # LINEAR | STEP | CUBICSPLINE
    times: np.ndarray  # (K,) float32, ascending
    # LINEAR/STEP: (K, C). CUBICSPLINE: (K, 3, C) as (in_tangent, value, out_tangent).
    # C = 3 (T/S), 4 (rotation xyzw), or number of morph targets (weights).
    values: np.ndarray


@dataclass(eq=False)
class AnimationClip:
    name: str
    channels: list[AnimationChannel]
    extras: dict = field(default_factory=dict)  # glTF `extras`, e.g. a walk cycle's {"forwardSpeed": m/s}

    @property
    def duration(self) -> float:
        return max((float(c.times[-1]) for c in self.channels if len(c.times)), default=0.0)


@dataclass(eq=False)
class CameraDef:
    name: str
    type: str = "perspective"  # perspective | orthographic
    yfov: float = 0.8  # radians
    aspect: float | None = None
    znear: float = 0.05
    zfar: float | None = 1000.0
    xmag: float = 1.0
    ymag: float = 1.0


@dataclass(eq=False)
class ModelAsset:
    """A whole loaded file. `nodes` are topologically ordered: parent index < child index."""

    path: str
    nodes: list[Node] = field(default_factory=list)
    roots: list[int] = field(default_factory=list)  # root nodes of the default scene
    meshes: list[Mesh] = field(default_factory=list)
    materials: list[Material] = field(default_factory=list)
    textures: list[TextureImage] = field(default_factory=list)
    skins: list[Skin] = field(default_factory=list)
    animations: list[AnimationClip] = field(default_factory=list)
    cameras: list[CameraDef] = field(default_factory=list)
    # VRM / humanoid bone name -> node index, when the file declares one
    humanoid_bones: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def animation_index(self, name: str | None) -> int | None:
        if not self.animations:
            return None
        if name is None:
            return 0
        for i, clip in enumerate(self.animations):
            if clip.name == name:
                return i
        return None
