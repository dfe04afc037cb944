"""Learned effects as GLSL: one NCA step with every weight baked into the source.

`effect_shader_source(weights, config)` writes a complete fragment shader for one
step of the neural cellular automaton specified in `systems/effects/SPEC.md`:

- The state (C = 12..16 float channels per cell) lives in ceil(C / 4) RGBA32F
  textures, channel c in texture c // 4, component c % 4 (`u_state0`, `u_state1`,
  ...). A texel is a cell; texture row 0 is torch row 0 (y = row, x = column).
- The step reads the 3x3 neighbourhood with 9 `textureLodOffset` fetches per
  texture. Borders come from the sampler: the state textures must be sampled
  NEAREST with REPEAT (wrapped borders) or CLAMP_TO_EDGE (clamped, edge-replicate)
  wrapping; `EffectRunner` sets that up. (`texelFetch` with coordinates wrapped in
  the shader gives the same numbers but costs 0.35 ms more per step at 128^2.)
- It builds the 4 perception filters per channel, runs the update MLP with the
  weights as literal constants (`%.9g`, which round-trips float32), and writes the
  new state to one render target per state texture (MRT, `layout(location = t)`).
- The stochastic mask is the SPEC's integer hash of (column, row, `u_step`,
  `u_seed`) compared with `u_fire_rate`, in uint arithmetic, so it fires the same
  cells as `NCA.step(x, step_index, seed)`. With `mask_texture=True` the mask is
  read instead from the R channel of `u_mask` (1 = update, 0 = keep), texel = cell:
  tests fix the mask that way.

MLP layout (`layout=`). On llvmpipe every GLSL float is an 8-pixel SIMD register,
so every layout does the same arithmetic (48 x 96 + 96 x 12 multiply-adds per cell
for C = 12) and only the shape of the code differs. Measured per step on llvmpipe
(LLVM 15, 256-bit, 2 cores; layouts interleaved in one process, best round's median;
64^2 is a single 64x64 tile, so one thread shades it):

    layout                                                 64^2     128^2    256^2
    "mat4": mat4 * vec4 products, 6 hidden quads at a      1.37 ms  2.8 ms   10.6 ms
            time per input vector, second layer folded in
    mat4 one hidden quad at a time, 2nd layer folded in    1.48 ms  2.95 ms  11.3 ms
    mat4, second layer after all 24 hidden quads           1.50 ms  3.05 ms  11.7 ms
    "vec4": one dot(vec4, vec4) per (unit, vector)         1.67 ms  3.4 ms   13.1 ms
    "scalar": straight-line float expressions              1.83 ms  3.7 ms   14.3 ms
    explicit fma(vec4, vec4, vec4) chains (GLSL 400)       2.41 ms  4.9 ms
    const float[] arrays + constant-bound loops                     80-130 ms (not unrolled)

so `"mat4"` is the default; `"vec4"` and `"scalar"` stay for comparison. (512-bit
llvmpipe vectors, LP_NATIVE_VECTOR_WIDTH=512, were no faster.) Compiling one step
program takes about 1.3 s on llvmpipe, then Mesa's shader cache has it.

`display_shader_source(...)` maps the state to a colour: `clamp(rgb + 0.5, 0, 1)`
(sRGB-encoded, per the SPEC), then hue rotation, tint and brightness, written
either sRGB-encoded or decoded to linear, with a UV scale and offset for tiling.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

GLSL_VERSION = "#version 330 core"
LAYOUTS = ("mat4", "vec4", "scalar")
DEFAULT_LAYOUT = "mat4"
MAT4_BLOCK = 6  # hidden quads accumulated together in the "mat4" layout (measured: 6 is best, 1 is 9% slower)

# The SPEC's hash constants.
HASH_X, HASH_Y, HASH_STEP, HASH_SEED = 0x8DA6B343, 0xD8163841, 0xCB1AB31F, 0x165667B1

FULLSCREEN_VERTEX_SOURCE = """#version 330 core
// One triangle covering the viewport, no vertex buffer.
out vec2 v_uv;
void main() {
    vec2 corner = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2));
    v_uv = corner;
    gl_Position = vec4(corner * 2.0 - 1.0, 0.0, 1.0);
}
"""


@dataclass(frozen=True)
class EffectShape:
    channels: int
    hidden: int
    fire_rate: float

    @property
    def textures(self) -> int:
        return (self.channels + 3) // 4


def effect_shape(weights: Mapping, config=None) -> EffectShape:
    """Channels, hidden width and fire rate from the weights (shapes) and the config
    (a mapping or an object with `channels` / `hidden` / `fire_rate`; may be None)."""
    w1, b1, w2 = (np.asarray(_to_numpy(weights[k])) for k in ("w1", "b1", "w2"))
    hidden, features = w1.shape
    channels = w2.shape[0]
    if features != 4 * channels or w2.shape != (channels, hidden) or b1.shape != (hidden,):
        raise ValueError(f"NCA weight shapes do not match: w1 {w1.shape}, b1 {b1.shape}, w2 {w2.shape}")
    if not 1 <= channels <= 16:
        raise ValueError(f"NCA channels must be 1..16, got {channels}")
    for name in ("channels", "hidden"):
        declared = _config_value(config, name)
        actual = channels if name == "channels" else hidden
        if declared is not None and int(declared) != actual:
            raise ValueError(f"config {name} = {declared} but the weights have {actual}")
    fire_rate = _config_value(config, "fire_rate")
    return EffectShape(channels, hidden, 0.5 if fire_rate is None else float(fire_rate))


def effect_shader_source(
    weights: Mapping,
    config=None,
    *,
    wrap: bool = True,
    mask_texture: bool = False,
    layout: str = DEFAULT_LAYOUT,
) -> str:
    """The fragment shader of one NCA step (GLSL 330 core), weights baked in.

    Inputs: `u_state0..u_state{T-1}` (sampler2D, RGBA32F, T = ceil(C / 4), sampled
    NEAREST with REPEAT wrapping when `wrap`, CLAMP_TO_EDGE otherwise), `u_step` and
    `u_seed` (uint), `u_fire_rate` (float; the config's rate is the runner's
    default), and `u_mask` (sampler2D) when `mask_texture`. Outputs: `out_state0..`
    at locations 0..T-1. Draw it over the whole grid with viewport (0, 0, W, H).
    `wrap` only names the border mode in the source (`NCA_WRAP`): the sampler
    state applies it."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; one of {LAYOUTS}")
    shape = effect_shape(weights, config)
    w1 = _to_numpy(weights["w1"]).astype(np.float32)
    b1 = _to_numpy(weights["b1"]).astype(np.float32)
    w2 = _to_numpy(weights["w2"]).astype(np.float32)
    for name, array in (("w1", w1), ("b1", b1), ("w2", w2)):
        if not np.all(np.isfinite(array)):
            raise ValueError(f"NCA weight {name} has non-finite values")
    textures = shape.textures
    lines = [
        GLSL_VERSION,
        (
            f"// One NCA step: {shape.channels} channels, {shape.hidden} hidden, "
            f"{'wrapped' if wrap else 'clamped'} borders, {layout} MLP layout. Generated by "
            "systems/effects/glsl_export.py."
        ),
    ]
    lines.append(f"#define NCA_WRAP {int(bool(wrap))}  // borders: the state samplers' wrap mode applies them")
    lines += [f"uniform sampler2D u_state{t};" for t in range(textures)]
    lines += ["uniform uint u_step;", "uniform uint u_seed;", "uniform float u_fire_rate;"]
    if mask_texture:
        lines.append("uniform sampler2D u_mask;")
    lines += [f"layout(location = {t}) out vec4 out_state{t};" for t in range(textures)]
    lines += _hash_function()
    lines.append("void main() {")
    lines += _perception(textures)
    body = {"mat4": _mlp_mat4, "vec4": _mlp_vec4, "scalar": _mlp_scalar}[layout]
    lines += body(w1, b1, w2, shape)
    if mask_texture:
        lines.append("    float fire = texelFetch(u_mask, cell, 0).r;")
    else:
        lines.append("    float fire = nca_uniform(uvec2(cell), u_step, u_seed) < u_fire_rate ? 1.0 : 0.0;")
    for t in range(textures):
        lines.append(f"    out_state{t} = c{t} + d{t} * fire;")
    lines.append("}")
    return "\n".join(lines) + "\n"


def display_shader_source(*, output: str = "linear") -> str:
    """Fragment shader: state texture 0 -> colour (GLSL 330 core, with
    `FULLSCREEN_VERTEX_SOURCE`).

    `clamp(state.rgb + 0.5, 0, 1)` is the sRGB-encoded colour (SPEC). An optional
    hue rotation (`u_hue`, radians, about the grey axis) applies to it; then it is
    decoded to linear light and multiplied by `u_tint` (vec3) and `u_brightness`.
    `output="linear"` writes that (for an RGBA16F texture that lit materials
    sample; brightness above 1 glows as emissive); `"srgb"` clamps it to [0, 1] and
    encodes it again (for an 8-bit texture shown as is). With tint 1, brightness 1
    and hue 0 the sRGB output is the SPEC colour itself. The pattern is sampled at
    `uv = v_uv * u_uv_scale + u_uv_offset` from `u_state0`, so the sampler's wrap
    mode tiles it."""
    if output not in ("linear", "srgb"):
        raise ValueError(f"display output must be 'linear' or 'srgb', not {output!r}")
    if output == "linear":
        write = "    out_color = vec4(color, 1.0);"
    else:
        write = "    out_color = vec4(linear_to_srgb(clamp(color, 0.0, 1.0)), 1.0);"
    return f"""{GLSL_VERSION}
// Learned effect display: state channels 0..2 -> colour ({output} output).
in vec2 v_uv;
uniform sampler2D u_state0;
uniform vec2 u_uv_scale;
uniform vec2 u_uv_offset;
uniform vec3 u_tint;
uniform float u_brightness;
uniform float u_hue;
out vec4 out_color;

vec3 hue_rotate(vec3 c, float angle) {{
    // Rodrigues rotation about the grey axis (1, 1, 1) / sqrt(3).
    const vec3 k = vec3(0.57735026918962573);
    float cs = cos(angle), sn = sin(angle);
    return c * cs + cross(k, c) * sn + k * dot(k, c) * (1.0 - cs);
}}

vec3 srgb_to_linear(vec3 c) {{
    return mix(c / 12.92, pow((c + 0.055) / 1.055, vec3(2.4)), step(vec3(0.04045), c));
}}

vec3 linear_to_srgb(vec3 c) {{
    return mix(c * 12.92, 1.055 * pow(c, vec3(1.0 / 2.4)) - 0.055, step(vec3(0.0031308), c));
}}

void main() {{
    vec3 encoded = clamp(texture(u_state0, v_uv * u_uv_scale + u_uv_offset).rgb + 0.5, 0.0, 1.0);
    if (u_hue != 0.0) encoded = clamp(hue_rotate(encoded, u_hue), 0.0, 1.0);
    vec3 color = srgb_to_linear(encoded) * u_tint * u_brightness;
{write}
}}
"""


# ----------------------------------------------------------------------------- parts
def _hash_function() -> list[str]:
    return [
        "float nca_uniform(uvec2 cell, uint step_index, uint seed) {",
        (
            f"    uint h = cell.x * {HASH_X:#010x}u ^ cell.y * {HASH_Y:#010x}u"
            f" ^ step_index * {HASH_STEP:#010x}u ^ seed * {HASH_SEED:#010x}u;"
        ),
        "    h ^= h >> 16u; h *= 0x7feb352du; h ^= h >> 15u; h *= 0x846ca68bu; h ^= h >> 16u;",
        "    return float(h >> 8u) / 16777216.0;",
        "}",
    ]


def _perception(textures: int) -> list[str]:
    """9 fetches per texture, then per texture t four vec4s: c{t} (identity), gx{t},
    gy{t}, lp{t} (component i = channel 4t + i).

    The neighbours are read with `textureLodOffset` at the cell's centre: the
    sampler's wrap mode (REPEAT for wrapped borders, CLAMP_TO_EDGE for clamped) and
    NEAREST filtering handle the borders. On llvmpipe this is about 0.35 ms per
    step cheaper at 128^2 than `texelFetch` with coordinates wrapped in the shader."""
    lines = [
        "    ivec2 cell = ivec2(gl_FragCoord.xy);",
        "    vec2 uv = gl_FragCoord.xy / vec2(textureSize(u_state0, 0));",
    ]
    names = {-1: "m", 0: "z", 1: "p"}
    for t in range(textures):
        n = {(dy, dx): f"n{t}{names[dy]}{names[dx]}" for dy in (-1, 0, 1) for dx in (-1, 0, 1)}
        for (dy, dx), name in n.items():
            lines.append(f"    vec4 {name} = textureLodOffset(u_state{t}, uv, 0.0, ivec2({dx}, {dy}));")
        gx = f"(({n[-1, 1]} - {n[-1, -1]}) + 2.0 * ({n[0, 1]} - {n[0, -1]}) + ({n[1, 1]} - {n[1, -1]})) * 0.125"
        gy = f"(({n[1, -1]} - {n[-1, -1]}) + 2.0 * ({n[1, 0]} - {n[-1, 0]}) + ({n[1, 1]} - {n[-1, 1]})) * 0.125"
        corners = f"{n[-1, -1]} + {n[-1, 1]} + {n[1, -1]} + {n[1, 1]}"
        edges = f"{n[-1, 0]} + {n[0, -1]} + {n[0, 1]} + {n[1, 0]}"
        lines += [
            f"    vec4 c{t} = {n[0, 0]};",
            f"    vec4 gx{t} = {gx};",
            f"    vec4 gy{t} = {gy};",
            f"    vec4 lp{t} = (({corners}) + 2.0 * ({edges}) - 12.0 * {n[0, 0]}) * 0.0625;",
        ]
    return lines


_FILTER_VECTORS = ("c", "gx", "gy", "lp")
_COMPONENTS = "xyzw"


def _feature_expr(feature: int) -> str:
    """GLSL expression of feature p[4c + k]: filter k of channel c."""
    channel, k = divmod(feature, 4)
    return f"{_FILTER_VECTORS[k]}{channel // 4}.{_COMPONENTS[channel % 4]}"


def _mlp_scalar(w1, b1, w2, shape: EffectShape) -> list[str]:
    """Straight-line: features as scalars; for each hidden unit its pre-activation
    sum, relu, then its contribution added to every channel's running dx."""
    channels, hidden = shape.channels, shape.hidden
    feats = [_feature_expr(i) for i in range(4 * channels)]
    lines = [f"    float f{i} = {feats[i]};" for i in range(4 * channels)]
    lines += [f"    float a{c} = 0.0;" for c in range(channels)]
    for j in range(hidden):
        terms = [f"{_lit(w1[j, i])} * f{i}" for i in range(4 * channels) if w1[j, i] != 0.0]
        lines.append(f"    float h{j} = max({' + '.join([_lit(b1[j])] + terms)}, 0.0);")
        for c in range(channels):
            if w2[c, j] != 0.0:
                lines.append(f"    a{c} += {_lit(w2[c, j])} * h{j};")
    lines += _pack_dx([f"a{c}" for c in range(channels)], shape)
    return lines


def _mlp_vec4(w1, b1, w2, shape: EffectShape) -> list[str]:
    """Dot products: hidden unit j = b + sum over textures and filters of
    dot(vec4 constant, filter vector); dx channel c = sum of dot(vec4, hidden quad)."""
    channels, hidden, textures = shape.channels, shape.hidden, shape.textures
    hquads = (hidden + 3) // 4
    lines = []
    for j in range(hidden):
        terms = [_lit(b1[j])]
        for t in range(textures):
            for k, vector in enumerate(_FILTER_VECTORS):
                coeffs = [w1[j, 4 * (4 * t + i) + k] if 4 * t + i < channels else 0.0 for i in range(4)]
                terms.append(f"dot({_vec4(coeffs)}, {vector}{t})")
        lines.append(f"    float h{j} = max({' + '.join(terms)}, 0.0);")
    for q in range(hquads):
        parts = [f"h{4 * q + i}" if 4 * q + i < hidden else "0.0" for i in range(4)]
        lines.append(f"    vec4 hq{q} = vec4({', '.join(parts)});")
    sums = []
    for c in range(channels):
        terms = []
        for q in range(hquads):
            coeffs = [w2[c, 4 * q + i] if 4 * q + i < hidden else 0.0 for i in range(4)]
            terms.append(f"dot({_vec4(coeffs)}, hq{q})")
        lines.append(f"    float a{c} = {' + '.join(terms)};")
        sums.append(f"a{c}")
    lines += _pack_dx(sums, shape)
    return lines


def _mlp_mat4(w1, b1, w2, shape: EffectShape) -> list[str]:
    """Matrix products, in blocks of `MAT4_BLOCK` hidden quads (units 4q..4q+3): for
    each filter vector of each texture, `hq{q} += mat4 * vector` for every quad of the
    block (the vector is used for all of them while it is loaded), then relu, then
    `d{t} += mat4 * hq{q}` for every state texture t (the second layer folded in
    block by block, so few values stay live)."""
    channels, hidden, textures = shape.channels, shape.hidden, shape.textures
    hquads = (hidden + 3) // 4
    lines = [f"    vec4 d{t} = vec4(0.0);" for t in range(textures)]

    def w1_at(row, col_channel, k):
        return w1[row, 4 * col_channel + k] if row < hidden and col_channel < channels else 0.0

    for first in range(0, hquads, MAT4_BLOCK):
        block = range(first, min(first + MAT4_BLOCK, hquads))
        for q in block:
            lines.append(f"    vec4 hq{q} = {_vec4([b1[4 * q + r] if 4 * q + r < hidden else 0.0 for r in range(4)])};")
        for t in range(textures):
            for k, vector in enumerate(_FILTER_VECTORS):
                for q in block:
                    # mat4 is column-major: column i (input channel 4t + i), row r (hidden 4q + r)
                    columns = [w1_at(4 * q + r, 4 * t + i, k) for i in range(4) for r in range(4)]
                    lines.append(f"    hq{q} += {_mat4(columns)} * {vector}{t};")
        for q in block:
            lines.append(f"    hq{q} = max(hq{q}, vec4(0.0));")
            for t in range(textures):
                columns = [
                    (w2[4 * t + r, 4 * q + i] if 4 * t + r < channels and 4 * q + i < hidden else 0.0)
                    for i in range(4)
                    for r in range(4)
                ]
                lines.append(f"    d{t} += {_mat4(columns)} * hq{q};")
    return lines


def _pack_dx(sums: list[str], shape: EffectShape) -> list[str]:
    lines = []
    for t in range(shape.textures):
        parts = [sums[4 * t + i] if 4 * t + i < shape.channels else "0.0" for i in range(4)]
        lines.append(f"    vec4 d{t} = vec4({', '.join(parts)});")
    return lines


def _lit(value) -> str:
    """A float literal, `%.9g` (round-trips float32), always with a '.' or exponent."""
    if not math.isfinite(float(value)):
        raise ValueError(f"non-finite weight {value}")
    text = f"{float(value):.9g}"  # the SPEC's %.9g
    if "." not in text and "e" not in text:
        text += ".0"
    return text


def _vec4(values) -> str:
    return f"vec4({', '.join(_lit(v) for v in values)})"


def _mat4(values) -> str:
    return f"mat4({', '.join(_lit(v) for v in values)})"


def _to_numpy(value) -> np.ndarray:
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=np.float32)


def _config_value(config, name: str):
    if config is None:
        return None
    if isinstance(config, Mapping):
        return config.get(name)
    return getattr(config, name, None)
