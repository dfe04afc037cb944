"""numba kernels of the CPU particle splat, the particle path for software rasterizers.

One batch at a time, in three parallel steps:
  1. `project_particles`: each particle -> a compact splat record (centre,
     radius, view distance, life; plus quad axis, stretch and flipbook cell
     for stretched or textured batches) and the screen tiles it touches,
     counted per chunk of particles;
  2. `sort_into_tiles`: a counting sort that copies each record into every
     tile it touches, tiles one after another;
  3. `splat_tiles`: each tile reads its records front to back and
     accumulates them into its pixels of a premultiplied RGBA image, depth
     tested and faded against the scene.
Sub-pixel particles (2x2 bilinear splats whose centre is on screen, most of a
dense cloud) skip the multi-tile bookkeeping: one record each, in the tile of
their centre (keys tiles.. 2 tiles - 1), splatted by `splat_apron_tiles` into a
scratch tile with an APRON border and composited over the image afterwards.
Particles lie in random screen order, so without the sort the splat would
fetch records and pixels at random; sorted, a tile's pixels and scene
distances (20 KiB) stay in the L1 cache while its records stream past.
Records stay small (the colour is looked up again in the splat step) since
moving them is most of the sort's cost.

The pieces (CHUNKS of particles, tiles of TILE_ROWS x TILE_COLUMNS pixels)
do not depend on the thread count, and every pixel is written by one tile in
particle order, so the image is the same on every run with any number of
threads.

Shape and compositing mirror shaders/particle.vert and particle.frag: the
same life curves (sampled at LIFE_STEPS ages), a soft disc (1 - d^2)^2 or a
sprite cell on a camera-facing quad of at least MIN_RADIUS_PX, stretched
along the screen-space velocity; a particle smaller than that and not
stretched becomes a 2x2 bilinear splat of the same energy. Compositing is
premultiplied "over" with additive particles at alpha 0, the GL path's
ONE / ONE_MINUS_SRC_ALPHA blend.

Argument groups (tuples, unpacked once per kernel: unpacking arrays per
particle would cost an atomic reference count each):
  columns = (positions, velocities, ages, lifetimes, sizes, seeds)  # the batch's views
  curves = (colors (LIFE_STEPS, 4), sizes (LIFE_STEPS,))  # life tables from `life_tables`
  camera = (view_proj, distance_coefficients, width, height, focal_length_px, min_radius_px)
  motion = (stretch, extrapolate, flipbook_columns, flipbook_rows, rotate)
  sprite = (atlas (H, W, 4) linear, cell_means (cells, 4), textured, flipbook_columns, flipbook_rows)
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import njit, prange

from engine.render.particle_view import NEAR_FADE_END as _NEAR_FADE_END
from engine.render.particle_view import NEAR_FADE_START as _NEAR_FADE_START

CHUNKS = 64  # fixed particle ranges for projection and sorting
TILE_ROWS, TILE_COLUMNS = 16, 64
APRON = 1  # pixels around a tile's scratch buffer: a sub-pixel splat's 2x2 around its centre

# Record columns (float32). Every record has the core; stretched or textured batches also the shape.
CENTER_X, CENTER_Y = 0, 1  # pixels from the bottom-left corner of the image
RADIUS = 2  # pixels, before the MIN_RADIUS_PX clamp
DISTANCE = 3  # view distance of the particle centre, metres
LIFE = 4  # age / lifetime: colour and opacity come from the curve in the splat step
CORE_FIELDS = 5
AXIS_X, AXIS_Y = 0, 1  # unit quad axis: the stretch direction, or the sprite's rotation
HALF_LENGTH = 2  # pixels of stretch either side of the centre
CELL = 3  # flipbook cell
SHAPE_FIELDS = 4

NEAR_FADE_START = np.float32(_NEAR_FADE_START)
INVERSE_NEAR_FADE_RANGE = np.float32(1.0 / (_NEAR_FADE_END - _NEAR_FADE_START))

LIFE_STEPS = 256  # resolution of the colour and size tables over a particle's life
TAU = 2.0 * math.pi
# float32 constants keep the per-pixel arithmetic in float32 (a Python float would widen it to float64).
ZERO, HALF, ONE = np.float32(0.0), np.float32(0.5), np.float32(1.0)


def life_tables(color_over_life: np.ndarray, size_over_life: np.ndarray, emissive: float):
    """The batch's curves sampled at LIFE_STEPS ages (linear between entries, as
    particle_curves.glsl): colours (rgb * emissive, opacity) and size multipliers.
    A table lookup per record is cheaper than interpolating in the kernels."""
    life = np.linspace(0.0, 1.0, LIFE_STEPS)
    colors = np.asarray(color_over_life, np.float64).reshape(-1, 4)
    sizes = np.asarray(size_over_life, np.float64).ravel()
    table = np.empty((LIFE_STEPS, 4), np.float32)
    for channel in range(4):
        table[:, channel] = np.interp(life, np.linspace(0.0, 1.0, len(colors)), colors[:, channel])
    table[:, :3] *= emissive
    return table, np.interp(life, np.linspace(0.0, 1.0, len(sizes)), sizes).astype(np.float32)


@njit(cache=True, fastmath=True, inline="always")
def _life_step(life):
    return int(life * (LIFE_STEPS - 1) + 0.5)


@njit(cache=True, fastmath=True, inline="always")
def _clip(view_proj, x, y, z, column):
    return x * view_proj[0, column] + y * view_proj[1, column] + z * view_proj[2, column] + view_proj[3, column]


@njit(cache=True, fastmath=True, inline="always")
def _kept_energy(radius, half_length, min_radius_px):
    """Share of a clamped quad's coverage that keeps the particle's true capsule area."""
    if half_length == 0.0:  # a disc: (r / r_min)^2 below the minimum radius, else 1
        shrink = min(radius / min_radius_px, 1.0)
        return shrink * shrink
    quad_radius = max(radius, min_radius_px)
    return radius * (math.pi * radius + 4.0 * half_length) / (quad_radius * (math.pi * quad_radius + 4.0 * half_length))


@njit(parallel=True, fastmath=True, cache=True)
def project_particles(columns, curves, camera, motion, core, shape, tile_spans, counts):
    """core[i], shape[i] (when shape has rows) and tile_spans[i] = first and last tile column,
    first and last tile row (int16; last row < first: not drawn); counts[chunk, tile] = records
    the chunk's particles put into the tile (tile = tile row * tiles across + tile column)."""
    positions, velocities, ages, lifetimes, sizes, seeds = columns
    life_colors, life_sizes = curves
    view_proj, k, width, height, focal_length_px, min_radius_px = camera
    stretch, extrapolate, flipbook_columns, flipbook_rows, rotate = motion
    shaped = shape.shape[0] > 0
    frames = flipbook_columns * flipbook_rows
    tiles_across = (width + TILE_COLUMNS - 1) // TILE_COLUMNS
    tiles_down = (height + TILE_ROWS - 1) // TILE_ROWS
    count = positions.shape[0]
    per_chunk = (count + CHUNKS - 1) // CHUNKS
    for chunk in prange(CHUNKS):
        counts[chunk, :] = 0
        for i in range(chunk * per_chunk, min(count, (chunk + 1) * per_chunk)):
            tile_spans[i, 2], tile_spans[i, 3] = 0, -1
            life = min(max(ages[i] / max(lifetimes[i], 1e-6), 0.0), 1.0)
            x, y, z = positions[i, 0], positions[i, 1], positions[i, 2]
            if extrapolate != 0.0:
                x += velocities[i, 0] * extrapolate
                y += velocities[i, 1] * extrapolate
                z += velocities[i, 2] * extrapolate
            w = _clip(view_proj, x, y, z, 3)
            if w <= 1e-6:
                continue
            inverse_w = 1.0 / w
            ndc_z = _clip(view_proj, x, y, z, 2) * inverse_w
            step = _life_step(life)
            if ndc_z < -1.0 or ndc_z > 1.0 or life_colors[step, 3] <= 0.0:
                continue
            center_x = (_clip(view_proj, x, y, z, 0) * inverse_w * 0.5 + 0.5) * width
            center_y = (_clip(view_proj, x, y, z, 1) * inverse_w * 0.5 + 0.5) * height
            radius = 0.5 * sizes[i] * life_sizes[step] * focal_length_px * inverse_w

            axis_x, axis_y, half_length = 1.0, 0.0, 0.0
            if shaped:
                seed = np.int64(seeds[i])
                if rotate:
                    angle = (seed & 0xFFFF) * (TAU / 65536.0)
                    axis_x, axis_y = math.cos(angle), math.sin(angle)
                if stretch > 0.0:
                    tail_x = x - velocities[i, 0] * stretch
                    tail_y = y - velocities[i, 1] * stretch
                    tail_z = z - velocities[i, 2] * stretch
                    tail_w = _clip(view_proj, tail_x, tail_y, tail_z, 3)
                    if tail_w > 1e-6:
                        tail_center_x = (_clip(view_proj, tail_x, tail_y, tail_z, 0) / tail_w * 0.5 + 0.5) * width
                        tail_center_y = (_clip(view_proj, tail_x, tail_y, tail_z, 1) / tail_w * 0.5 + 0.5) * height
                        delta_x, delta_y = center_x - tail_center_x, center_y - tail_center_y
                        length = math.sqrt(delta_x * delta_x + delta_y * delta_y)
                        if length > 1e-3:
                            axis_x, axis_y = delta_x / length, delta_y / length
                            half_length = 0.5 * length
                            center_x -= 0.5 * delta_x
                            center_y -= 0.5 * delta_y
                shape[i, AXIS_X] = axis_x
                shape[i, AXIS_Y] = axis_y
                shape[i, HALF_LENGTH] = half_length
                shape[i, CELL] = (min(int(life * frames), frames - 1) + (seed >> 16) % frames) % frames

            # The quad's rows and columns; they also cover a bilinear splat's 2x2 pixels.
            quad_radius = max(radius, min_radius_px)
            extent_x = (half_length + quad_radius) * abs(axis_x) + quad_radius * abs(axis_y)
            extent_y = (half_length + quad_radius) * abs(axis_y) + quad_radius * abs(axis_x)
            first_row = max(math.ceil(center_y - extent_y - 0.5), 0)
            last_row = min(math.floor(center_y + extent_y - 0.5), height - 1)
            first_column = max(math.ceil(center_x - extent_x - 0.5), 0)
            last_column = min(math.floor(center_x + extent_x - 0.5), width - 1)
            if first_row > last_row or first_column > last_column:
                continue
            core[i, CENTER_X] = center_x
            core[i, CENTER_Y] = center_y
            core[i, RADIUS] = radius
            core[i, DISTANCE] = (ndc_z * k[0] + k[1]) / (ndc_z * k[2] + k[3])
            core[i, LIFE] = life
            if radius < min_radius_px and half_length == 0.0 and 0.0 <= center_x < width and 0.0 <= center_y < height:
                # A sub-pixel splat: one record, in the tile of its centre (virtual tile rows
                # tiles_down.. hold these); its 2x2 pixels stay within the tile's APRON.
                tile_row, tile_column = int(center_y) // TILE_ROWS, int(center_x) // TILE_COLUMNS
                tile_spans[i, 0], tile_spans[i, 1] = tile_column, tile_column
                tile_spans[i, 2], tile_spans[i, 3] = tile_row + tiles_down, tile_row + tiles_down
                counts[chunk, (tile_row + tiles_down) * tiles_across + tile_column] += 1
                continue
            _count_tiles(i, first_row, last_row, first_column, last_column, tiles_across, tile_spans, counts, chunk)


@njit(cache=True, inline="always")
def _count_tiles(i, first_row, last_row, first_column, last_column, tiles_across, tile_spans, counts, chunk):
    """Record the tiles a particle's pixel rows and columns fall in and count it once in each."""
    first_tile_row, last_tile_row = first_row // TILE_ROWS, last_row // TILE_ROWS
    first_tile_column, last_tile_column = first_column // TILE_COLUMNS, last_column // TILE_COLUMNS
    tile_spans[i, 0], tile_spans[i, 1] = first_tile_column, last_tile_column
    tile_spans[i, 2], tile_spans[i, 3] = first_tile_row, last_tile_row
    for tile_row in range(first_tile_row, last_tile_row + 1):
        for tile_column in range(first_tile_column, last_tile_column + 1):
            counts[chunk, tile_row * tiles_across + tile_column] += 1


@njit(cache=True, inline="always")
def _float32_row(matrix, row):
    return np.float32(matrix[row, 0]), np.float32(matrix[row, 1]), np.float32(matrix[row, 2]), np.float32(matrix[row, 3])


def project_round_particles(columns, curves, camera, extrapolate, core, tile_spans, counts, spanning, spanning_counts):
    """`project_particles` for a batch of round, untextured particles (most of them), in two
    passes: a branch-free one that settles the sub-pixel splats (one tile each) and lists the
    other visible particles per chunk (spanning[chunk start:][:spanning_counts[chunk]]), then
    `_count_spanning` walks the tiles of those. About twice as fast as the general kernel.
    counts needs one extra column at the end (a sink for culled and spanning particles)."""
    positions, velocities, ages, lifetimes, sizes, _seeds = columns
    life_colors, life_sizes = curves
    view_proj, k, width, height, focal_length_px, min_radius_px = camera
    _project_round(
        positions, velocities, ages, lifetimes, sizes, np.ascontiguousarray(life_colors[:, 3]), life_sizes,
        view_proj, k.astype(np.float32), width, height, focal_length_px, min_radius_px, extrapolate, core,
        tile_spans, counts, spanning, spanning_counts,
    )  # fmt: skip
    _count_spanning(spanning, spanning_counts, core, width, height, min_radius_px, tile_spans, counts)


@njit(parallel=True, fastmath=True, cache=True)
def _project_round(
    positions, velocities, ages, lifetimes, sizes, life_opacity, life_sizes, view_proj, k, width, height,
    focal_length_px, min_radius_px, extrapolate, core, tile_spans, counts, spanning, spanning_counts,
):  # fmt: skip
    # float32 scalars: no matrix indexing per particle, no widening to float64.
    m00, m01, m02, m03 = _float32_row(view_proj, 0)
    m10, m11, m12, m13 = _float32_row(view_proj, 1)
    m20, m21, m22, m23 = _float32_row(view_proj, 2)
    m30, m31, m32, m33 = _float32_row(view_proj, 3)
    k0, k1, k2, k3 = k[0], k[1], k[2], k[3]
    half_width, half_height = np.float32(0.5 * width), np.float32(0.5 * height)
    last_x, last_y = np.float32(width - 1), np.float32(height - 1)
    radius_scale = np.float32(0.5 * focal_length_px)
    min_radius = np.float32(min_radius_px)
    forward = np.float32(extrapolate)
    near_w = np.float32(1e-6)
    life_scale = np.float32(LIFE_STEPS - 1)
    tiles_across = (width + TILE_COLUMNS - 1) // TILE_COLUMNS
    tiles_down = (height + TILE_ROWS - 1) // TILE_ROWS
    sink = counts.shape[1] - 1
    count = positions.shape[0]
    per_chunk = (count + CHUNKS - 1) // CHUNKS
    for chunk in prange(CHUNKS):
        counts[chunk, :] = 0
        listed = 0
        start = chunk * per_chunk
        for i in range(start, min(count, start + per_chunk)):
            life = min(max(ages[i] / max(lifetimes[i], near_w), ZERO), ONE)
            x = positions[i, 0] + velocities[i, 0] * forward
            y = positions[i, 1] + velocities[i, 1] * forward
            z = positions[i, 2] + velocities[i, 2] * forward
            w = x * m03 + y * m13 + z * m23 + m33
            inverse_w = ONE / max(w, near_w)
            ndc_z = (x * m02 + y * m12 + z * m22 + m32) * inverse_w
            step = int(life * life_scale + HALF)
            center_x = (x * m00 + y * m10 + z * m20 + m30) * inverse_w * half_width + half_width
            center_y = (x * m01 + y * m11 + z * m21 + m31) * inverse_w * half_height + half_height
            radius = sizes[i] * life_sizes[step] * radius_scale * inverse_w
            visible = (w > near_w) & (ndc_z >= -ONE) & (ndc_z <= ONE) & (life_opacity[step] > ZERO)
            sub_pixel = visible & (radius < min_radius) & (center_x >= ZERO) & (center_x <= last_x)
            sub_pixel &= (center_y >= ZERO) & (center_y <= last_y)
            # Selects, not branches: which case a particle falls in is random.
            virtual_row = int(min(max(center_y, ZERO), last_y)) // TILE_ROWS + tiles_down
            tile_column = int(min(max(center_x, ZERO), last_x)) // TILE_COLUMNS
            counts[chunk, virtual_row * tiles_across + tile_column if sub_pixel else sink] += 1
            tile_spans[i, 0] = tile_column
            tile_spans[i, 1] = tile_column
            tile_spans[i, 2] = virtual_row if sub_pixel else 0
            tile_spans[i, 3] = virtual_row if sub_pixel else -1  # last < first: no tiles (yet)
            spanning[start + listed] = i
            listed += visible & ~sub_pixel
            core[i, CENTER_X] = center_x
            core[i, CENTER_Y] = center_y
            core[i, RADIUS] = radius
            core[i, DISTANCE] = (ndc_z * k0 + k1) / (ndc_z * k2 + k3)
            core[i, LIFE] = life
        spanning_counts[chunk] = listed


@njit(parallel=True, fastmath=True, cache=True)
def _count_spanning(spanning, spanning_counts, core, width, height, min_radius_px, tile_spans, counts):
    """Tile spans and counts of the particles `_project_round` listed (discs of a pixel or more)."""
    tiles_across = (width + TILE_COLUMNS - 1) // TILE_COLUMNS
    per_chunk = (spanning.shape[0] + CHUNKS - 1) // CHUNKS
    for chunk in prange(CHUNKS):
        for listed in range(chunk * per_chunk, chunk * per_chunk + spanning_counts[chunk]):
            i = spanning[listed]
            center_x, center_y = core[i, CENTER_X], core[i, CENTER_Y]
            extent = max(core[i, RADIUS], min_radius_px)
            first_row = max(math.ceil(center_y - extent - 0.5), 0)
            last_row = min(math.floor(center_y + extent - 0.5), height - 1)
            first_column = max(math.ceil(center_x - extent - 0.5), 0)
            last_column = min(math.floor(center_x + extent - 0.5), width - 1)
            if first_row > last_row or first_column > last_column:
                continue
            _count_tiles(i, first_row, last_row, first_column, last_column, tiles_across, tile_spans, counts, chunk)


@njit(parallel=True, fastmath=True, cache=True)
def sort_into_tiles(tile_spans, tiles_across, cursors, core, shape, sorted_core, sorted_shape):
    """Copy record i into each of its tiles at cursors[chunk, tile] (advanced as it goes)."""
    shaped = shape.shape[0] > 0
    count = tile_spans.shape[0]
    per_chunk = (count + CHUNKS - 1) // CHUNKS
    for chunk in prange(CHUNKS):
        for i in range(chunk * per_chunk, min(count, (chunk + 1) * per_chunk)):
            for tile_row in range(tile_spans[i, 2], tile_spans[i, 3] + 1):
                for tile_column in range(tile_spans[i, 0], tile_spans[i, 1] + 1):
                    tile = tile_row * tiles_across + tile_column
                    slot = cursors[chunk, tile]
                    cursors[chunk, tile] = slot + 1
                    for field in range(CORE_FIELDS):
                        sorted_core[slot, field] = core[i, field]
                    if shaped:
                        for field in range(SHAPE_FIELDS):
                            sorted_shape[slot, field] = shape[i, field]


@njit(cache=True, fastmath=True, inline="always")
def _fade(scene_distance, row, column, distance, inverse_softness):
    """Soft-particle fade against the scene behind the sample: 0 where the scene is in
    front of the particle, so it is also the depth test, without a branch to mispredict;
    times the fade near the lens (particle_view.NEAR_FADE_START..END)."""
    behind = min(max((scene_distance[row, column] - distance) * inverse_softness, ZERO), ONE)
    return behind * min(max((distance - NEAR_FADE_START) * INVERSE_NEAR_FADE_RANGE, ZERO), ONE)


@njit(cache=True, fastmath=True, inline="always")
def _composite(accum, row, column, red, green, blue, coverage, fade, alpha_blend):
    """Premultiplied "over" of one particle sample."""
    alpha = min(coverage, ONE) * fade
    if alpha_blend:
        keep = ONE - alpha
        accum[row, column, 0] = red * alpha + accum[row, column, 0] * keep
        accum[row, column, 1] = green * alpha + accum[row, column, 1] * keep
        accum[row, column, 2] = blue * alpha + accum[row, column, 2] * keep
        accum[row, column, 3] = alpha + accum[row, column, 3] * keep
    else:  # additive: alpha stays 0, nothing behind is dimmed
        accum[row, column, 0] += red * alpha
        accum[row, column, 1] += green * alpha
        accum[row, column, 2] += blue * alpha


@njit(cache=True, fastmath=True, inline="always")
def _add_weighted(accum, row, column, red, green, blue, weight):
    """An additive sample (alpha stays 0): `_composite` without its branch."""
    accum[row, column, 0] += red * weight
    accum[row, column, 1] += green * weight
    accum[row, column, 2] += blue * weight


@njit(cache=True, fastmath=True, inline="always")
def _texel(atlas, top, left, bottom, right, fx, fy, channel):
    upper = atlas[top, left, channel] + (atlas[top, right, channel] - atlas[top, left, channel]) * fx
    lower = atlas[bottom, left, channel] + (atlas[bottom, right, channel] - atlas[bottom, left, channel]) * fx
    return upper + (lower - upper) * fy


@njit(cache=True, fastmath=True, inline="always")
def _sample_cell(atlas, cell, flipbook_columns, flipbook_rows, u, v):
    """Bilinear RGBA of flipbook cell `cell` at (u, v) in [0, 1] (v down, row 0 = image top)."""
    atlas_height, atlas_width = atlas.shape[0], atlas.shape[1]
    x = ((cell % flipbook_columns) + u) / flipbook_columns * atlas_width - 0.5
    y = ((cell // flipbook_columns) + v) / flipbook_rows * atlas_height - 0.5
    x0, y0 = math.floor(x), math.floor(y)
    fx, fy = x - x0, y - y0
    left, right = min(max(x0, 0), atlas_width - 1), min(max(x0 + 1, 0), atlas_width - 1)
    top, bottom = min(max(y0, 0), atlas_height - 1), min(max(y0 + 1, 0), atlas_height - 1)
    return (
        _texel(atlas, top, left, bottom, right, fx, fy, 0),
        _texel(atlas, top, left, bottom, right, fx, fy, 1),
        _texel(atlas, top, left, bottom, right, fx, fy, 2),
        _texel(atlas, top, left, bottom, right, fx, fy, 3),
    )


@njit(cache=True, fastmath=True, inline="always")
def _splat_bilinear(
    core, slot, tile, scene_distance, accum, inverse_softness, alpha_blend, red, green, blue, opacity, mean,
):  # fmt: skip
    """A sub-pixel particle over the 2x2 pixels around its centre, in `tile` (first row, end row,
    first column, end column). `mean` = the sprite's mean colour and its coverage of the minimum
    quad, so the splat carries the quad's energy."""
    first_row, end_row, first_column, end_column = tile
    x, y = core[slot, CENTER_X] - HALF, core[slot, CENTER_Y] - HALF
    left, bottom = math.floor(x), math.floor(y)
    right_weight, top_weight = x - np.float32(left), y - np.float32(bottom)
    left_weight, bottom_weight = ONE - right_weight, ONE - top_weight
    distance = core[slot, DISTANCE]
    red, green, blue, coverage = red * mean[0], green * mean[1], blue * mean[2], opacity * mean[3]
    if first_row <= bottom < end_row - 1 and first_column <= left < end_column - 1:
        # Inside the tile, the usual case: fixed trip counts unroll, no bounds to test.
        for row, row_weight in ((bottom, bottom_weight), (bottom + 1, top_weight)):
            for column, column_weight in ((left, left_weight), (left + 1, right_weight)):
                fade = _fade(scene_distance, row, column, distance, inverse_softness)
                _composite(
                    accum, row, column, red, green, blue, coverage * row_weight * column_weight, fade, alpha_blend
                )
        return
    for row in range(max(bottom, first_row), min(bottom + 2, end_row)):
        row_coverage = coverage * (top_weight if row > bottom else bottom_weight)
        for column in range(max(left, first_column), min(left + 2, end_column)):
            fade = _fade(scene_distance, row, column, distance, inverse_softness)
            weight = right_weight if column > left else left_weight
            _composite(accum, row, column, red, green, blue, row_coverage * weight, fade, alpha_blend)


@njit(cache=True, fastmath=True, inline="always")
def _splat_disc(core, slot, tile, scene_distance, accum, inverse_softness, alpha_blend, red, green, blue, opacity):
    """A round untextured particle over the pixels of its bounding square in `tile`."""
    first_row, end_row, first_column, end_column = tile
    center_x, center_y = core[slot, CENTER_X], core[slot, CENTER_Y]
    radius = core[slot, RADIUS]
    distance = core[slot, DISTANCE]
    inverse_radius_squared = ONE / (radius * radius)
    left = max(math.ceil(center_x - radius - HALF), first_column)
    right = min(math.floor(center_x + radius - HALF), end_column - 1)
    bottom = max(math.ceil(center_y - radius - HALF), first_row)
    top = min(math.floor(center_y + radius - HALF), end_row - 1)
    for row in range(bottom, top + 1):
        offset_y = np.float32(row) + HALF - center_y
        for column in range(left, right + 1):
            offset_x = np.float32(column) + HALF - center_x
            rim = max(ONE - (offset_x * offset_x + offset_y * offset_y) * inverse_radius_squared, ZERO)
            fade = _fade(scene_distance, row, column, distance, inverse_softness)
            _composite(accum, row, column, red, green, blue, opacity * rim * rim, fade, alpha_blend)


@njit(cache=True, fastmath=True, inline="always")
def _splat_quad(
    core, shape, slot, tile, scene_distance, accum, inverse_softness, alpha_blend, radius, red, green, blue,
    opacity, atlas, textured, flipbook_columns, flipbook_rows,
):  # fmt: skip
    """A stretched or textured particle over the pixels of its (rotated) quad's bounding box in `tile`."""
    first_row, end_row, first_column, end_column = tile
    center_x, center_y = core[slot, CENTER_X], core[slot, CENTER_Y]
    distance = core[slot, DISTANCE]
    axis_x, axis_y = shape[slot, AXIS_X], shape[slot, AXIS_Y]
    half_length = shape[slot, HALF_LENGTH]
    cell = int(shape[slot, CELL])
    half_ratio = half_length / radius
    inverse_radius = 1.0 / radius
    extent_x = (half_length + radius) * abs(axis_x) + radius * abs(axis_y)
    extent_y = (half_length + radius) * abs(axis_y) + radius * abs(axis_x)
    left = max(math.ceil(center_x - extent_x - 0.5), first_column)
    right = min(math.floor(center_x + extent_x - 0.5), end_column - 1)
    bottom = max(math.ceil(center_y - extent_y - 0.5), first_row)
    top = min(math.floor(center_y + extent_y - 0.5), end_row - 1)
    for row in range(bottom, top + 1):
        offset_y = row + 0.5 - center_y
        for column in range(left, right + 1):
            offset_x = column + 0.5 - center_x
            along = (offset_x * axis_x + offset_y * axis_y) * inverse_radius
            across = (offset_y * axis_x - offset_x * axis_y) * inverse_radius
            if textured:
                if abs(along) > half_ratio + 1.0 or abs(across) > 1.0:
                    continue
                u = along / (half_ratio + 1.0) * 0.5 + 0.5
                sprite_red, sprite_green, sprite_blue, coverage = _sample_cell(
                    atlas, cell, flipbook_columns, flipbook_rows, u, 0.5 - 0.5 * across
                )
            else:
                beyond = max(abs(along) - half_ratio, 0.0)
                rim = max(1.0 - (beyond * beyond + across * across), 0.0)
                sprite_red = sprite_green = sprite_blue = 1.0
                coverage = rim * rim
            _composite(
                accum, row, column, np.float32(red * sprite_red), np.float32(green * sprite_green),
                np.float32(blue * sprite_blue), np.float32(opacity * coverage),
                _fade(scene_distance, row, column, distance, inverse_softness), alpha_blend,
            )  # fmt: skip


@njit(cache=True, fastmath=True, inline="always")
def _splat_record(
    core, shape, slot, tile, life_colors, min_radius_px, quad_area, atlas, cell_means, textured, flipbook_columns,
    flipbook_rows, scene_distance, accum, inverse_softness, alpha_blend,
):  # fmt: skip
    """One record into `tile`, by its footprint."""
    shaped = shape.shape[0] > 0
    radius = core[slot, RADIUS]
    half_length = shape[slot, HALF_LENGTH] if shaped else ZERO
    step = _life_step(core[slot, LIFE])
    red, green, blue = life_colors[step, 0], life_colors[step, 1], life_colors[step, 2]
    opacity = life_colors[step, 3] * np.float32(_kept_energy(radius, half_length, min_radius_px))
    if radius < min_radius_px and half_length == 0.0:
        cell = int(shape[slot, CELL]) if textured else 0
        mean = (cell_means[cell, 0], cell_means[cell, 1], cell_means[cell, 2], cell_means[cell, 3] * quad_area)
        _splat_bilinear(
            core, slot, tile, scene_distance, accum, inverse_softness, alpha_blend, red, green, blue, opacity, mean
        )
    elif not shaped:
        _splat_disc(core, slot, tile, scene_distance, accum, inverse_softness, alpha_blend, red, green, blue, opacity)
    else:
        _splat_quad(
            core, shape, slot, tile, scene_distance, accum, inverse_softness, alpha_blend,
            max(radius, min_radius_px), red, green, blue, opacity, atlas, textured, flipbook_columns, flipbook_rows,
        )  # fmt: skip


@njit(parallel=True, fastmath=True, cache=True)
def splat_tiles(
    core, shape, tile_starts, life_colors, alpha_blend, softness, min_radius_px, sprite, scene_distance, accum,
    uncleared,
):  # fmt: skip
    """Accumulate each tile's records into its pixels of accum (H, W, 4), row 0 = bottom.

    A tile zeroes its pixels when it first gets records in a frame (uncleared[tile],
    then False); tiles without particles keep stale pixels nobody composites."""
    atlas, cell_means, textured, flipbook_columns, flipbook_rows = sprite
    height, width = accum.shape[0], accum.shape[1]
    tiles_across = (width + TILE_COLUMNS - 1) // TILE_COLUMNS
    inverse_softness = np.float32(1.0 / max(softness, 1e-6))
    quad_area = np.float32(4.0 * min_radius_px * min_radius_px)
    for tile_index in prange(tile_starts.shape[0] - 1):
        first_row = tile_index // tiles_across * TILE_ROWS
        first_column = tile_index % tiles_across * TILE_COLUMNS
        end_row, end_column = min(height, first_row + TILE_ROWS), min(width, first_column + TILE_COLUMNS)
        tile = (first_row, end_row, first_column, end_column)
        if uncleared[tile_index] and tile_starts[tile_index + 1] > tile_starts[tile_index]:
            accum[first_row:end_row, first_column:end_column] = 0.0
            uncleared[tile_index] = False
        for slot in range(tile_starts[tile_index], tile_starts[tile_index + 1]):
            _splat_record(
                core, shape, slot, tile, life_colors, min_radius_px, quad_area, atlas, cell_means, textured,
                flipbook_columns, flipbook_rows, scene_distance, accum, inverse_softness, alpha_blend,
            )  # fmt: skip


@njit(parallel=True, fastmath=True, cache=True)
def splat_apron_tiles(
    core, shape, tile_starts, life_colors, alpha_blend, softness, min_radius_px, sprite, scene_distance, accum,
    uncleared,
):  # fmt: skip
    """The sub-pixel records: tile_starts[tiles + t] .. tile_starts[tiles + t + 1] are the
    records centred in tile t. Each tile splats its records straight into accum, its 2x2
    pixels reaching at most APRON pixels beyond the tile, faded once at the centre pixel.
    Tiles go in four phases by row and column parity, so tiles of one phase never share a
    pixel and every pixel gets its tiles in a fixed order."""
    cell_means, textured = sprite[1], sprite[2]
    height, width = accum.shape[0], accum.shape[1]
    tiles_across = (width + TILE_COLUMNS - 1) // TILE_COLUMNS
    tiles_down = (height + TILE_ROWS - 1) // TILE_ROWS
    tiles = tiles_across * tiles_down
    inverse_softness = np.float32(1.0 / max(softness, 1e-6))
    quad_area = np.float32(4.0 * min_radius_px * min_radius_px)
    inverse_min_radius = np.float32(1.0 / min_radius_px)
    # Clear the tiles that this batch's buffers reach, where nothing has cleared them yet.
    for tile_index in prange(tiles):
        if not uncleared[tile_index]:
            continue
        tile_row, tile_column = tile_index // tiles_across, tile_index % tiles_across
        reached = False
        for near_row in range(max(tile_row - 1, 0), min(tile_row + 2, tiles_down)):
            for near_column in range(max(tile_column - 1, 0), min(tile_column + 2, tiles_across)):
                near = tiles + near_row * tiles_across + near_column
                if tile_starts[near + 1] > tile_starts[near]:
                    reached = True
        if reached:
            first_row, first_column = tile_row * TILE_ROWS, tile_column * TILE_COLUMNS
            accum[
                first_row : min(height, first_row + TILE_ROWS), first_column : min(width, first_column + TILE_COLUMNS)
            ] = 0.0
            uncleared[tile_index] = False
    rows_across = (tiles_across + 1) // 2
    phase_tiles = ((tiles_down + 1) // 2) * rows_across
    for phase in range(4):
        row_parity, column_parity = phase // 2, phase % 2
        for job in prange(phase_tiles):
            tile_row = (job // rows_across) * 2 + row_parity
            tile_column = (job % rows_across) * 2 + column_parity
            if tile_row >= tiles_down or tile_column >= tiles_across:
                continue
            tile_index = tiles + tile_row * tiles_across + tile_column
            start, end = tile_starts[tile_index], tile_starts[tile_index + 1]
            if end == start:
                continue
            for slot in range(start, end):
                step = _life_step(core[slot, LIFE])
                shrink = min(core[slot, RADIUS] * inverse_min_radius, ONE)  # the clamped quad's kept energy
                cell = int(shape[slot, CELL]) if textured else 0
                center_x, center_y = core[slot, CENTER_X], core[slot, CENTER_Y]
                fade = _fade(scene_distance, int(center_y), int(center_x), core[slot, DISTANCE], inverse_softness)
                coverage = life_colors[step, 3] * shrink * shrink * cell_means[cell, 3] * quad_area
                red = life_colors[step, 0] * cell_means[cell, 0]
                green = life_colors[step, 1] * cell_means[cell, 1]
                blue = life_colors[step, 2] * cell_means[cell, 2]
                x, y = center_x - HALF, center_y - HALF
                left, bottom = math.floor(x), math.floor(y)
                right_weight, top_weight = x - np.float32(left), y - np.float32(bottom)
                left_weight, bottom_weight = ONE - right_weight, ONE - top_weight
                inside = 0 <= bottom and bottom + 1 < height and 0 <= left and left + 1 < width
                if inside and not alpha_blend:  # the common case, written out: 4 pixels x 3 channels
                    amount = min(coverage, ONE) * fade
                    _add_weighted(accum, bottom, left, red, green, blue, amount * bottom_weight * left_weight)
                    _add_weighted(accum, bottom, left + 1, red, green, blue, amount * bottom_weight * right_weight)
                    _add_weighted(accum, bottom + 1, left, red, green, blue, amount * top_weight * left_weight)
                    _add_weighted(accum, bottom + 1, left + 1, red, green, blue, amount * top_weight * right_weight)
                    continue
                if inside:
                    for row_offset, row_weight in ((0, bottom_weight), (1, top_weight)):
                        for column_offset, column_weight in ((0, left_weight), (1, right_weight)):
                            _composite(
                                accum, bottom + row_offset, left + column_offset, red, green, blue,
                                coverage * row_weight * column_weight, fade, alpha_blend,
                            )  # fmt: skip
                    continue
                for row in range(max(bottom, 0), min(bottom + 2, height)):
                    row_weight = top_weight if row > bottom else bottom_weight
                    for column in range(max(left, 0), min(left + 2, width)):
                        column_weight = right_weight if column > left else left_weight
                        _composite(
                            accum, row, column, red, green, blue, coverage * row_weight * column_weight, fade,
                            alpha_blend,
                        )  # fmt: skip
