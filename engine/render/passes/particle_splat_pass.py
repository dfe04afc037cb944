"""CPU particle path: a numba splat into a float image, composited into the HDR target.

On software rasterizers GL billboards cost about a second per million
particles at 720p, while the splat (engine/render/particle_splat_kernels.py)
takes tens of milliseconds. Per frame: project every batch and sort it into
screen tiles, resolve the scene's view distance in just the box those tiles
cover and read its rows back (the one wait on the GL queue), splat the batches in
draw order into one premultiplied RGBA float image, and upload the rows that
hold particles. The tonemap composites that layer over every HDR sample
(`SplatLayer`), which costs far less on a software rasterizer than blending
a float image into each sample of the multisampled HDR target.
"""

from __future__ import annotations

from contextlib import contextmanager
from collections.abc import Callable
from dataclasses import dataclass, field

import moderngl
import numba
import numpy as np

from engine.render.frame import ParticleBatch
from engine.render.particle_columns import particle_columns
from engine.render.particle_splat_kernels import (
    APRON,
    CHUNKS,
    CORE_FIELDS,
    SHAPE_FIELDS,
    TILE_COLUMNS,
    TILE_ROWS,
    life_tables,
    project_particles,
    project_round_particles,
    sort_into_tiles,
    splat_apron_tiles,
    splat_tiles,
)
from engine.render.particle_sprites import SpriteAtlasCache
from engine.render.particle_view import MIN_RADIUS_PX, ParticleView
from engine.render.render_targets import SceneDistanceTarget

# Below this many particles a batch is splatted on one thread: waking the
# others costs more than they save (milliseconds when another process holds a core).
PARALLEL_FROM = 65_536


@dataclass(eq=False)
class SplatLayer:
    """A frame's particles for the tonemap: premultiplied linear RGBA in `texture`, valid
    (particles or zeros) inside `box` (x0, y0, x1, y1 pixels) once `complete()` has run,
    stale outside it. Splatting waits for `complete()`, so the tonemap can first draw the
    pixels around the box and let the rasterizer work while the CPU splats."""

    texture: moderngl.Texture
    box: tuple[int, int, int, int]
    _splat: Callable[[], None]
    _done: bool = False

    def complete(self) -> None:
        if not self._done:
            self._done = True
            self._splat()


class ParticleSplatPass:
    def __init__(self, ctx: moderngl.Context):
        self.ctx = ctx
        self.sprites = SpriteAtlasCache()
        # Per image size.
        self._size: tuple[int, int] | None = None
        self._tiles_across = 0
        self._scene_distance = np.zeros((0, 0), np.float32)
        self._image = np.zeros((0, 0, 4), np.float32)
        self._tiles = np.zeros(0, np.int64)  # tile indices, row by row from the bottom
        self._counts = np.zeros((CHUNKS, 1), np.int32)
        self._written = np.zeros(0, bool)  # tiles whose image pixels hold an earlier frame's particles
        self._texture: moderngl.Texture | None = None
        # Per particle of the batch being sorted, grown by doubling.
        self._particle_core = np.zeros((0, CORE_FIELDS), np.float32)
        self._particle_shape = np.zeros((0, SHAPE_FIELDS), np.float32)
        self._tile_spans = np.zeros((0, 4), np.int16)
        self._spanning = np.zeros(0, np.int32)
        self._spanning_counts = np.zeros(CHUNKS, np.int64)
        self._sorted: list[TileRecords] = []  # per batch in draw order, reused frame to frame

    def sort(self, batches: list[ParticleBatch], view: ParticleView) -> tuple[int, int, int, int] | None:
        """Project and sort `batches` (in draw order) into screen tiles.

        Returns the pixel box (x, y, width, height) their tiles cover, or None when none is on
        screen: the splat reads the scene's view distance only there."""
        self._fit_image(view.viewport)
        while len(self._sorted) < len(batches):
            self._sorted.append(TileRecords())
        occupied = np.zeros(self._tiles.size, bool)
        for batch, records in zip(batches, self._sorted):
            self._project_and_sort(batch, view, records)
            per_tile = np.diff(records.tile_starts)  # general records, then sub-pixel ones
            occupied |= (per_tile[: self._tiles.size] > 0) | (per_tile[self._tiles.size :] > 0)
        occupied_tiles = self._tiles[occupied]
        if not occupied_tiles.size:
            return None
        tile_rows = occupied_tiles // self._tiles_across
        tile_columns = occupied_tiles % self._tiles_across
        width, height = view.viewport
        x, y = int(tile_columns.min()) * TILE_COLUMNS, int(tile_rows.min()) * TILE_ROWS
        end_x = min(width, (int(tile_columns.max()) + 1) * TILE_COLUMNS)
        end_y = min(height, (int(tile_rows.max()) + 1) * TILE_ROWS)
        return x, y, end_x - x, end_y - y

    def draw(
        self,
        batches: list[ParticleBatch],
        scene_distance: SceneDistanceTarget,
        box: tuple[int, int, int, int],
    ) -> SplatLayer:
        """The layer of the batches `sort` sorted, for the tonemap; `scene_distance` must
        hold the scene's view distance in the `box` that `sort` returned. Its whole rows
        come back now (one contiguous read); the splat reads only inside the box."""
        first_row, end_row = box[1], box[1] + box[3]
        width, height = self._size
        scene_distance.framebuffer.read_into(
            self._scene_distance[first_row:end_row], viewport=(0, first_row, width, end_row - first_row),
            components=1, dtype="f4",
        )  # fmt: skip
        # Sub-pixel splats reach APRON pixels past their tiles.
        reach = (
            max(box[0] - APRON, 0), max(first_row - APRON, 0),
            min(box[0] + box[2] + APRON, width), min(end_row + APRON, height),
        )  # fmt: skip
        return SplatLayer(self._texture, reach, lambda: self._splat(batches, reach))

    def _splat(self, batches: list[ParticleBatch], reach: tuple[int, int, int, int]) -> None:
        uncleared = np.ones(self._tiles.size, bool)
        tiles = self._tiles.size
        for batch, records in zip(batches, self._sorted):
            with _threads_for(len(batch.positions)):
                arguments = (
                    records.core, records.shape, records.tile_starts, records.life_colors, batch.blend == "alpha",
                    float(batch.softness), MIN_RADIUS_PX, records.sprite, self._scene_distance, self._image, uncleared,
                )  # fmt: skip
                splat_tiles(*arguments[:2], records.tile_starts[: tiles + 1], *arguments[3:])
                splat_apron_tiles(*arguments)
        self._upload(~uncleared, reach)

    def release(self) -> None:
        if self._texture is not None:
            self._texture.release()

    def _project_and_sort(self, batch: ParticleBatch, view: ParticleView, records: TileRecords) -> None:
        count = len(batch.positions)
        width, height = view.viewport
        flipbook_columns, flipbook_rows = (int(n) for n in batch.flipbook)
        textured = batch.texture is not None
        shaped = textured or batch.stretch > 0.0  # needs the quad axis, stretch and cell per particle
        self._reserve_particles(count, shaped)
        columns = particle_columns(batch)
        curves = life_tables(batch.color_over_life, batch.size_over_life, float(batch.emissive))
        camera = (view.view_proj, view.distance_coefficients, width, height, view.focal_length_px, MIN_RADIUS_PX)
        motion = (float(batch.stretch), float(batch.extrapolate), flipbook_columns, flipbook_rows, textured)
        atlas, cell_means = self.sprites.get(batch.texture, batch.flipbook)
        particle_shape = self._particle_shape[:count] if shaped else self._particle_shape[:0]
        tile_spans = self._tile_spans[:count]
        counts = self._counts[:, :-1]  # the last column is the round kernel's sink
        with _threads_for(count):
            if shaped:
                project_particles(columns, curves, camera, motion, self._particle_core, particle_shape, tile_spans, counts)
            else:  # round particles, most batches
                project_round_particles(
                    columns, curves, camera, float(batch.extrapolate), self._particle_core, tile_spans,
                    self._counts, self._spanning[:count], self._spanning_counts,
                )  # fmt: skip
            cursors, records.tile_starts = _tile_offsets(counts)
            records.reserve(int(records.tile_starts[-1]), shaped)
            sort_into_tiles(
                tile_spans, self._tiles_across, cursors, self._particle_core, particle_shape, records.core,
                records.shape,
            )  # fmt: skip
        records.life_colors = curves[0]
        records.sprite = (atlas, cell_means, textured, flipbook_columns, flipbook_rows)

    def _upload(self, touched: np.ndarray, reach: tuple[int, int, int, int]) -> None:
        """Zero the tiles an earlier frame left particles in, then upload the rows of `reach`."""
        for tile in np.flatnonzero(self._written & ~touched):
            row, column = tile // self._tiles_across * TILE_ROWS, tile % self._tiles_across * TILE_COLUMNS
            self._image[row : row + TILE_ROWS, column : column + TILE_COLUMNS] = 0.0
        self._written = touched
        first_row, end_row = reach[1], reach[3]
        self._texture.write(self._image[first_row:end_row], viewport=(0, first_row, self._size[0], end_row - first_row))

    def _fit_image(self, size: tuple[int, int]) -> None:
        if self._size == size:
            return
        width, height = size
        self._size = size
        self._tiles_across = -(-width // TILE_COLUMNS)
        tiles = self._tiles_across * -(-height // TILE_ROWS)
        self._scene_distance = np.zeros((height, width), np.float32)
        self._image = np.zeros((height, width, 4), np.float32)
        self._tiles = np.arange(tiles)
        self._counts = np.zeros((CHUNKS, 2 * tiles + 1), np.int32)  # general tiles, sub-pixel tiles, a sink
        self._written = np.zeros(tiles, bool)
        if self._texture is not None:
            self._texture.release()
        self._texture = self.ctx.texture(size, 4, dtype="f4")
        self._texture.filter = (moderngl.NEAREST, moderngl.NEAREST)

    def _reserve_particles(self, count: int, shaped: bool) -> None:
        if count > self._particle_core.shape[0]:
            capacity = _doubled(self._particle_core.shape[0], count)
            self._particle_core = np.zeros((capacity, CORE_FIELDS), np.float32)
            self._tile_spans = np.zeros((capacity, 4), np.int16)
            self._spanning = np.zeros(capacity, np.int32)
        if shaped and count > self._particle_shape.shape[0]:
            self._particle_shape = np.zeros((self._particle_core.shape[0], SHAPE_FIELDS), np.float32)


@dataclass(eq=False)
class TileRecords:
    """One batch's splat records, sorted by screen tile, and what its splat needs."""

    core: np.ndarray = field(default_factory=lambda: np.zeros((0, CORE_FIELDS), np.float32))
    shape: np.ndarray = field(default_factory=lambda: np.zeros((0, SHAPE_FIELDS), np.float32))
    tile_starts: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))  # (tiles + 1,)
    life_colors: np.ndarray | None = None
    sprite: tuple = ()
    _shape_storage: np.ndarray = field(default_factory=lambda: np.zeros((0, SHAPE_FIELDS), np.float32))

    def reserve(self, count: int, shaped: bool) -> None:
        """Room for `count` records; `shape` is empty unless the batch is `shaped`."""
        if count > self.core.shape[0]:
            self.core = np.zeros((_doubled(self.core.shape[0], count), CORE_FIELDS), np.float32)
        if shaped and count > self._shape_storage.shape[0]:
            self._shape_storage = np.zeros((self.core.shape[0], SHAPE_FIELDS), np.float32)
        self.shape = self._shape_storage if shaped else self._shape_storage[:0]


@contextmanager
def _threads_for(count: int):
    """numba threads for a batch of `count` particles (the result is the same either way)."""
    previous = numba.get_num_threads()
    numba.set_num_threads(previous if count >= PARALLEL_FROM else 1)
    try:
        yield
    finally:
        numba.set_num_threads(previous)


def _tile_offsets(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Counting-sort offsets: cursors[chunk, tile], where the chunk's records of the tile go
    (tiles one after another, chunks in order within a tile), and tile_starts (tiles + 1,)."""
    chunks, tiles = counts.shape
    starts = np.zeros(tiles * chunks + 1, np.int64)
    np.cumsum(counts.T.ravel(), out=starts[1:])
    cursors = np.ascontiguousarray(starts[:-1].reshape(tiles, chunks).T)
    return cursors, starts[::chunks]


def _doubled(capacity: int, needed: int) -> int:
    capacity = max(capacity, 1024)
    while capacity < needed:
        capacity *= 2
    return capacity
