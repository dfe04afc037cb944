"""Curl-noise turbulence: a divergence-free flow from a small periodic tile that stays in cache.

The flow is v = grad(phi) x grad(psi), the curl of the vector potential phi * grad(psi), where phi and psi are two
smooth periodic noise fields stored on a 16^3 lattice and interpolated trilinearly. Inside a cell both are
polynomials, so div v = grad(psi) . curl(grad(phi)) - grad(phi) . curl(grad(psi)) = 0 exactly; across a cell face
the normal component of v only involves derivatives along the face, which are continuous. The field is therefore
exactly divergence-free (particles neither bunch up nor thin out), whatever the lattice values are, and so however
coarsely they are stored.

Speed: gathers bound this kernel, so the lattice is packed for few of them. Each 32-bit word holds phi and psi at a
lattice point and at its +z neighbour, as int8 (about 1% of the flow's magnitude), so a particle gathers its cell's
8 corners with 4 loads from an 18 KB table that stays in L1. The lattice is fixed (seeded here), so kernels see it
as a compile-time constant, which also tells LLVM that it cannot alias the particle columns.
"""

from __future__ import annotations

import numpy as np
from numba import njit

TILE_SIZE = 16  # lattice points per axis (a power of two); the flow repeats every TILE_SIZE cells
WAVELENGTH_CELLS = 4.0  # lattice cells per noise feature: coarse enough for trilinear interpolation to stay smooth
_TILE_SEED = 0x6D6F76  # fixed, so every run and machine sees the same flow


def _cell_centre_flow(phi: np.ndarray, psi: np.ndarray) -> np.ndarray:
    """The interpolated flow at every cell centre, where a trilinear gradient is the mean of the 4 edge differences."""
    def gradient(field):
        parts = []
        for axis in range(3):
            edge = np.roll(field, -1, axis) - field
            others = [a for a in range(3) if a != axis]
            parts.append(0.25 * (edge + np.roll(edge, -1, others[0]) + np.roll(edge, -1, others[1])
                                 + np.roll(np.roll(edge, -1, others[0]), -1, others[1])))
        return np.stack(parts)
    return np.cross(gradient(phi), gradient(psi), axis=0)


def _build_tile() -> tuple[np.ndarray, np.float32]:
    """The packed lattice, and the scale of the flow computed from its raw words (see `curl_noise`)."""
    rng = np.random.default_rng(_TILE_SEED)
    cycles = np.fft.fftfreq(TILE_SIZE) * TILE_SIZE
    kx, ky, kz = np.meshgrid(cycles, cycles, cycles, indexing="ij")
    # band-limited around one feature per WAVELENGTH_CELLS: smooth within a cell, periodic over the tile
    band = np.exp(-0.5 * (np.sqrt(kx**2 + ky**2 + kz**2) - TILE_SIZE / WAVELENGTH_CELLS) ** 2)
    band[0, 0, 0] = 0.0
    phi, psi = (np.fft.ifftn(np.fft.fftn(rng.standard_normal((TILE_SIZE,) * 3)) * band).real for _ in range(2))
    speed = np.sqrt(np.mean(np.sum(_cell_centre_flow(phi, psi) ** 2, axis=0)))
    unit = max(np.abs(phi).max(), np.abs(psi).max()) / 127.0
    phi_q, psi_q = (np.pad(np.round(f / unit).astype(np.int8).view(np.uint8).astype(np.uint32), (0, 1), mode="wrap")
                    for f in (phi, psi))
    # word at (x, y, z), z < TILE_SIZE, from the high byte: phi(z), psi(z), phi(z + 1), psi(z + 1)
    words = (phi_q[:, :, :-1] << 24) | (psi_q[:, :, :-1] << 16) | (phi_q[:, :, 1:] << 8) | psi_q[:, :, 1:]
    # a potential is read as int8 * 2^24, and the flow is a product of two gradients; normalised to an RMS speed of
    # 1 at the cell centres
    return np.ascontiguousarray(words.reshape(-1)), np.float32((unit / 2.0**24) ** 2 / speed)


TILE, FLOW_SCALE = _build_tile()

_MASK = np.int32(TILE_SIZE - 1)
_DY = np.int32(TILE_SIZE)  # words per y row
_DX = np.int32(TILE_SIZE * (TILE_SIZE + 1))  # words per x slab (y is padded with the periodic copy)
_TOP_BYTE = np.uint32(0xFF000000)
_ONE = np.float32(1.0)


@njit(cache=True, fastmath=True, inline="always")
def _potentials(word):
    """(phi(z), psi(z), phi(z + 1), psi(z + 1)) * 2^24: each int8 moved to the top byte of an int32 keeps its sign."""
    return (np.float32(np.int32(word & _TOP_BYTE)), np.float32(np.int32((word << np.uint32(8)) & _TOP_BYTE)),
            np.float32(np.int32((word << np.uint32(16)) & _TOP_BYTE)), np.float32(np.int32(word << np.uint32(24))))


@njit(cache=True, fastmath=True, inline="always")
def curl_noise(x, y, z):
    """The flow at lattice coordinates (x, y, z): RMS magnitude about 1, periodic over TILE_SIZE."""
    fx, fy, fz = np.floor(x), np.floor(y), np.floor(z)
    tx, ty, tz = x - fx, y - fy, z - fz
    sx, sy, sz = _ONE - tx, _ONE - ty, _ONE - tz
    base = (np.int32(fx) & _MASK) * _DX + (np.int32(fy) & _MASK) * _DY + (np.int32(fz) & _MASK)
    a000, b000, a001, b001 = _potentials(TILE[base])
    a100, b100, a101, b101 = _potentials(TILE[base + _DX])
    a010, b010, a011, b011 = _potentials(TILE[base + _DY])
    a110, b110, a111, b111 = _potentials(TILE[base + _DX + _DY])
    # d/dx of a trilinear field is bilinear in (y, z) over the x-edge differences; likewise for y and z
    wyz00, wyz10, wyz01, wyz11 = sy * sz, ty * sz, sy * tz, ty * tz
    wxz00, wxz10, wxz01, wxz11 = sx * sz, tx * sz, sx * tz, tx * tz
    wxy00, wxy10, wxy01, wxy11 = sx * sy, tx * sy, sx * ty, tx * ty
    phi_x = wyz00 * (a100 - a000) + wyz10 * (a110 - a010) + wyz01 * (a101 - a001) + wyz11 * (a111 - a011)
    phi_y = wxz00 * (a010 - a000) + wxz10 * (a110 - a100) + wxz01 * (a011 - a001) + wxz11 * (a111 - a101)
    phi_z = wxy00 * (a001 - a000) + wxy10 * (a101 - a100) + wxy01 * (a011 - a010) + wxy11 * (a111 - a110)
    psi_x = wyz00 * (b100 - b000) + wyz10 * (b110 - b010) + wyz01 * (b101 - b001) + wyz11 * (b111 - b011)
    psi_y = wxz00 * (b010 - b000) + wxz10 * (b110 - b100) + wxz01 * (b011 - b001) + wxz11 * (b111 - b101)
    psi_z = wxy00 * (b001 - b000) + wxy10 * (b101 - b100) + wxy01 * (b011 - b010) + wxy11 * (b111 - b110)
    return ((phi_y * psi_z - phi_z * psi_y) * FLOW_SCALE, (phi_z * psi_x - phi_x * psi_z) * FLOW_SCALE,
            (phi_x * psi_y - phi_y * psi_x) * FLOW_SCALE)
