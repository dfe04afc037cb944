"""Procedural texture exemplars for learned effects: seeded, tileable (periodic), numpy only.

    make_exemplar("fire" | "caustics" | "energy" | "lava", size=128, seed=0) -> (size, size, 3) uint8
    write_exemplar(name, path, size=128, seed=0)

* fire: flame tongues rising, orange-yellow on dark;
* caustics: a water caustic network, bright cyan lines on blue;
* energy: electric plasma filaments, violet and cyan on near-black;
* lava: glowing cracks between plates of dark crust.

Everything is built from periodic fields (spectrally shaped noise and Worley distances on a torus), so every
exemplar tiles seamlessly; the same name, size and seed always give the same pixels.
"""

from __future__ import annotations

import os

import numpy as np

NAMES = ("fire", "caustics", "energy", "lava")


def _frequencies(size: int) -> tuple[np.ndarray, np.ndarray]:
    f = np.fft.fftfreq(size) * size  # cycles per tile
    return np.meshgrid(f, f, indexing="ij")  # (fy, fx)


def _noise(rng: np.random.Generator, size: int, low: float, high: float, stretch_x: float = 1.0,
           stretch_y: float = 1.0, power: float = 1.0) -> np.ndarray:
    """Periodic band-limited Gaussian noise, zero mean, unit std. `low`..`high` (cycles per tile) is the band of the
    (anisotropically stretched) radial frequency; inside it the amplitude falls as 1/f**power."""
    fy, fx = _frequencies(size)
    radius = np.hypot(fx * stretch_x, fy * stretch_y)
    amplitude = np.where((radius >= low) & (radius <= high), 1.0 / np.maximum(radius, 1e-6) ** power, 0.0)
    spectrum = np.fft.fft2(rng.standard_normal((size, size))) * amplitude
    field = np.real(np.fft.ifft2(spectrum))
    field -= field.mean()
    return field / (field.std() + 1e-12)


def _blur(field: np.ndarray, sigma: float) -> np.ndarray:
    """Periodic Gaussian blur (sigma in pixels)."""
    fy, fx = _frequencies(field.shape[0])
    fy, fx = fy / field.shape[0], fx / field.shape[0]
    kernel = np.exp(-2.0 * (np.pi * sigma) ** 2 * (fx ** 2 + fy ** 2))
    if field.ndim == 3:
        kernel = kernel[..., None]
        return np.real(np.fft.ifft2(np.fft.fft2(field, axes=(0, 1)) * kernel, axes=(0, 1)))
    return np.real(np.fft.ifft2(np.fft.fft2(field) * kernel))


def _sample(field: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """Bilinear lookup with wrapped coordinates (pixels)."""
    size = field.shape[0]
    y0, x0 = np.floor(ys).astype(np.int64), np.floor(xs).astype(np.int64)
    ty, tx = ys - y0, xs - x0
    y0, x0 = y0 % size, x0 % size
    y1, x1 = (y0 + 1) % size, (x0 + 1) % size
    top = field[y0, x0] * (1 - tx) + field[y0, x1] * tx
    bottom = field[y1, x0] * (1 - tx) + field[y1, x1] * tx
    return top * (1 - ty) + bottom * ty


def _worley(rng: np.random.Generator, size: int, cells: int, ys: np.ndarray, xs: np.ndarray):
    """Nearest and second-nearest distances (pixels) to `cells` random points on the torus, at (ys, xs)."""
    points = rng.uniform(0, size, (cells, 2))
    best = np.full(ys.shape, np.inf)
    second = np.full(ys.shape, np.inf)
    for py, px in points:
        dy = np.abs(ys - py) % size
        dx = np.abs(xs - px) % size
        d = np.hypot(np.minimum(dy, size - dy), np.minimum(dx, size - dx))
        second = np.where(d < best, best, np.minimum(second, d))
        best = np.minimum(best, d)
    return best, second


def _ramp(value: np.ndarray, stops: list[tuple[float, tuple[float, float, float]]]) -> np.ndarray:
    """Piecewise-linear colour map of `value` (clipped to the stops' range) -> (..., 3)."""
    positions = np.array([p for p, _ in stops])
    colours = np.array([c for _, c in stops], dtype=np.float64)
    v = np.clip(value, positions[0], positions[-1])
    return np.stack([np.interp(v, positions, colours[:, k]) for k in range(3)], axis=-1)


def _smoothstep(edge0: float, edge1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - edge0) / (edge1 - edge0), 0.0, 1.0)
    return t * t * (3 - 2 * t)


def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    return np.meshgrid(np.arange(size, dtype=np.float64), np.arange(size, dtype=np.float64), indexing="ij")


def _fire(rng: np.random.Generator, size: int) -> np.ndarray:
    ys, xs = _grid(size)
    s = size / 128.0
    # vertical streaks (strongly stretched along y), gently bent sideways: flame tongues
    streaks = _noise(rng, size, 3, 24, stretch_x=1.0, stretch_y=5.0, power=0.9)
    sway = _noise(rng, size, 1, 4, stretch_x=4.0, stretch_y=1.0) * 3.0 * s  # varies mostly with height
    tongues = _sample(streaks, ys, xs + sway)
    flicker = _noise(rng, size, 8, 40, stretch_x=1.0, stretch_y=2.0, power=0.5)
    # each tongue is hottest at its base and thins out upwards: a periodic rise profile, its phase per column
    phase = (ys / size * 2.0 + 0.3 * _noise(rng, size, 1, 5, stretch_x=1.0, stretch_y=4.0)) % 1.0
    taper = phase ** 1.2 * _smoothstep(1.0, 0.8, phase)  # 0 at a tip (top of a band), high near the base
    heat = _smoothstep(0.2, 1.6, tongues + 0.2 * flicker + 1.1 * taper - 0.4)
    return _ramp(heat, [(0.0, (0.03, 0.01, 0.01)), (0.2, (0.28, 0.03, 0.01)), (0.45, (0.85, 0.25, 0.02)),
                        (0.7, (1.0, 0.58, 0.08)), (0.88, (1.0, 0.86, 0.32)), (1.0, (1.0, 0.97, 0.75))])


def _caustics(rng: np.random.Generator, size: int) -> np.ndarray:
    ys, xs = _grid(size)
    s = size / 128.0
    wy = ys + _noise(rng, size, 1, 5) * 4.0 * s
    wx = xs + _noise(rng, size, 1, 5) * 4.0 * s
    network = np.zeros((size, size))
    for cells, weight in ((22, 1.0), (40, 0.55)):
        f1, f2 = _worley(rng, size, cells, wy, wx)
        network += weight * np.exp(-(f2 - f1) / (1.6 * s))
    network = np.clip(network / 1.2, 0, 1) ** 1.3
    depth = 0.5 + 0.5 * _noise(rng, size, 1, 4)
    base = _ramp(depth, [(0.0, (0.02, 0.12, 0.30)), (1.0, (0.04, 0.28, 0.50))])
    glow = _blur(network, 2.0 * s)
    light = np.clip(0.9 * network + 0.5 * glow, 0, 1)[..., None]
    return np.clip(base + light * np.array([0.55, 0.95, 1.0]), 0, 1)


def _energy(rng: np.random.Generator, size: int) -> np.ndarray:
    ys, xs = _grid(size)
    s = size / 128.0
    image = np.zeros((size, size, 3))
    for colour, band in (((0.62, 0.22, 1.0), (1.5, 5)), ((0.2, 0.9, 1.0), (2, 7))):
        field = _noise(rng, size, band[0], band[1], power=1.0)
        jitter = _noise(rng, size, 8, 30, power=0.5)  # crackle along the filaments
        warped = _sample(field, ys + _noise(rng, size, 1, 5) * 3 * s, xs + _noise(rng, size, 1, 5) * 3 * s)
        ridge = np.clip(1.0 - np.abs(warped + 0.06 * jitter) / 0.3, 0, 1) ** 2  # bright where the field is 0
        glow = _blur(ridge, 3.0 * s)
        image += (ridge * 0.85 + glow * 1.2)[..., None] * np.array(colour)
    core = np.clip(image.max(axis=-1) - 0.85, 0, 1)[..., None]  # hot filament cores burn white
    return np.clip(np.array([0.03, 0.0, 0.07]) + image + core, 0, 1)


def _lava(rng: np.random.Generator, size: int) -> np.ndarray:
    ys, xs = _grid(size)
    s = size / 128.0
    wy = ys + _noise(rng, size, 1, 6) * 5.0 * s
    wx = xs + _noise(rng, size, 1, 6) * 5.0 * s
    f1, f2 = _worley(rng, size, 18, wy, wx)
    edge = f2 - f1
    width = (1.2 + 0.8 * (0.5 + 0.5 * _noise(rng, size, 1, 5))) * s
    crack = np.exp(-edge / width)
    glow = np.exp(-edge / (4.0 * width))
    rough = _noise(rng, size, 4, 40, power=0.6)
    crust = _ramp(0.5 + 0.18 * rough - 0.25 * (f1 / (f1.max() + 1e-9)),
                  [(0.0, (0.03, 0.025, 0.025)), (0.5, (0.10, 0.08, 0.07)), (1.0, (0.22, 0.18, 0.15))])
    heat = np.clip(crack * 1.1 + 0.35 * glow, 0, 1)
    hot = _ramp(heat, [(0.0, (0.0, 0.0, 0.0)), (0.3, (0.6, 0.05, 0.0)), (0.6, (1.0, 0.35, 0.02)),
                       (0.85, (1.0, 0.75, 0.15)), (1.0, (1.0, 0.95, 0.6))])
    alpha = _smoothstep(0.08, 0.5, heat)[..., None]
    return crust * (1 - alpha) + hot * alpha


_GENERATORS = {"fire": _fire, "caustics": _caustics, "energy": _energy, "lava": _lava}


def make_exemplar(name: str, size: int = 128, seed: int = 0) -> np.ndarray:
    """The named exemplar as a (size, size, 3) uint8 sRGB image (deterministic for a name, size and seed)."""
    if name not in _GENERATORS:
        raise ValueError(f"unknown procedural exemplar {name!r} (known: {', '.join(NAMES)})")
    if not 16 <= int(size) <= 4096:
        raise ValueError(f"exemplar size must be 16..4096, got {size}")
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, NAMES.index(name)])
    image = _GENERATORS[name](rng, int(size))
    return np.clip(np.round(image * 255.0), 0, 255).astype(np.uint8)


def write_exemplar(name: str, path: str | os.PathLike, size: int = 128, seed: int = 0) -> str:
    """Write the named exemplar as an image (format from the extension, e.g. PNG); returns the path."""
    from PIL import Image

    path = os.fspath(path)
    Image.fromarray(make_exemplar(name, size, seed)).save(path)
    return path
