"""Texture losses and metrics for learned effects. No pretrained network is involved.

The project's loss / metric, `texture_distance` (used for training, and with fixed projections as a metric):

    D(a, b) = sum over levels s = 0..S-1 of  SW2^2( patches(L_s(a)), patches(L_s(b)) ) / v_s(b)
              + mean over RGB channels of ((mean_a - mean_b)^2 + (std_a - std_b)^2) / var_b

  * L_s is level s of a Laplacian pyramid of the RGB image (S = 4): G_0 = the image, G_{s+1} = G_s average-pooled
    by 2; L_s = G_s - upsample2x(G_{s+1}) (bilinear) for s < S - 1, and the low-pass L_{S-1} = G_{S-1}. So level 0
    holds the finest detail and the last level the colour layout at 1/8 resolution;
  * patches(.) are all P x P RGB patches of a level (P = 3: 27-dimensional vectors; "valid" patches, or wrapped
    ones for toroidal NCA states), so the statistic is the joint distribution of local structure at each scale
    (a 3x3 patch of level 3 spans 24 pixels). Small patches over more levels keep the random projections
    informative: in 75 dimensions (5x5) 64 random directions see little besides brightness;
  * SW2^2 is the squared sliced 2-Wasserstein distance: project both patch sets on K random unit directions,
    sort each projection and average the squared differences of matching quantiles (sets of different sizes are
    matched at the quantiles of the smaller one). Directions come from a seeded generator: fresh ones every
    training iteration, fixed ones (seed 0, K = 128) for the metric;
  * v_s(b) is the reference's mean per-dimension patch variance at level s (the expected variance of one random
    projection): each scale counts equally, and a featureless image of the reference's mean colour scores about 1
    per level (about S + 1 in all); var_b is the reference's per-channel variance.

`independent_metric` is a different statistic, written separately (numpy only, shares no code with the loss):
the mean of three parts, each 0 for identical statistics and normalised so that a featureless image of the
reference's mean colour scores about 1 (worse textures can score above 1):

  * colour: per channel, the 1-Wasserstein distance between 64-bin colour histograms divided by the reference's mean
    absolute deviation from its mean (the W1 distance of a flat mean-colour image), averaged over R, G, B;
  * band marginals: a Laplacian pyramid (5-tap binomial filter, 4 band-pass levels) of the luminance; per level the
    1-Wasserstein distance between the two images' band-coefficient distributions (1000 quantiles), divided by the
    mean absolute coefficient of the reference's band, averaged over levels;
  * oriented gradient energy: at 3 Gaussian-pyramid levels, the gradient magnitude summed into 8 unsigned
    orientation bins per pixel; per level the relative L1 distance `sum|h_a - h_b| / (sum h_a + sum h_b)`, averaged.

`compare_to_baselines` reports both for an NCA texture, a Gaussian-blurred (sigma = 2 px) copy of the exemplar
and a flat image of the exemplar's mean colour, all measured against the exemplar.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

PATCH = 3
SCALES = 4
TRAIN_PROJECTIONS = 64
METRIC_PROJECTIONS = 128


# ---------------------------------------------------------------------------------------------------------------
# The project's loss / metric (torch)


def to_tensor_image(image) -> torch.Tensor:
    """An image as float32 (B, 3, H, W) in [0, 1]: accepts (H, W, 3) uint8/float numpy, or torch (3, H, W) /
    (B, 3, H, W)."""
    if isinstance(image, torch.Tensor):
        t = image.to(torch.float32)
        return t.unsqueeze(0) if t.dim() == 3 else t
    a = np.asarray(image)
    if a.ndim == 2:
        a = np.stack([a] * 3, axis=-1)
    a = a[..., :3]
    a = a.astype(np.float32) / 255.0 if a.dtype == np.uint8 else a.astype(np.float32)
    return torch.from_numpy(np.ascontiguousarray(a.transpose(2, 0, 1))).unsqueeze(0)


def laplacian_pyramid(image: torch.Tensor, scales: int = SCALES, wrap: bool = False) -> list[torch.Tensor]:
    """[L_0 (finest band), ..., L_{S-2}, G_{S-1} (low-pass)] of (B, 3, H, W); `wrap` upsamples toroidally."""
    gaussians = [image]
    for _ in range(scales - 1):
        gaussians.append(F.avg_pool2d(gaussians[-1], 2))
    levels = []
    for fine, coarse in zip(gaussians[:-1], gaussians[1:]):
        if wrap:
            up = F.interpolate(F.pad(coarse, (1, 1, 1, 1), mode="circular"), scale_factor=2, mode="bilinear",
                               align_corners=False)[:, :, 2:-2, 2:-2]
        else:
            up = F.interpolate(coarse, scale_factor=2, mode="bilinear", align_corners=False)
        levels.append(fine[:, :, :up.shape[2], :up.shape[3]] - up)
    levels.append(gaussians[-1])
    return levels


def patches(image: torch.Tensor, patch: int = PATCH, wrap: bool = False) -> torch.Tensor:
    """All `patch` x `patch` patches of (B, 3, H, W) as (N, 3 * patch * patch) rows (channel, row, column order)."""
    cols = F.unfold(_pad(image, patch) if wrap else image, patch)  # (B, D, L)
    return cols.transpose(1, 2).reshape(-1, cols.shape[1])


def _pad(image: torch.Tensor, patch: int) -> torch.Tensor:
    r = patch // 2
    return F.pad(image, (r, patch - 1 - r, r, patch - 1 - r), mode="circular")


def random_directions(dim: int, count: int, generator: torch.Generator) -> torch.Tensor:
    """(count, dim) random unit vectors."""
    d = torch.randn(count, dim, generator=generator)
    return d / d.norm(dim=1, keepdim=True)


def project_patches(image: torch.Tensor, directions: torch.Tensor, patch: int = PATCH,
                    wrap: bool = False) -> torch.Tensor:
    """Projections (K, N) of all patches of (B, 3, H, W) on the (K, 3 * patch * patch) directions: a convolution
    with the directions as filters, so the patches are never materialised."""
    filters = directions.reshape(directions.shape[0], image.shape[1], patch, patch)
    out = F.conv2d(_pad(image, patch) if wrap else image, filters)  # (B, K, h, w)
    return out.transpose(0, 1).reshape(directions.shape[0], -1)


def sort_rows(values: torch.Tensor) -> torch.Tensor:
    """Each row of (K, N) sorted ascending; differentiable (numpy's vectorised argsort is several times faster
    than torch.sort on the CPU)."""
    order = np.argsort(values.detach().cpu().numpy(), axis=1)
    return torch.gather(values, 1, torch.from_numpy(order).to(values.device))


def _matched_quantiles(sorted_values: torch.Tensor, count: int) -> torch.Tensor:
    """Columns of the row-sorted (K, N) projections at the quantiles of a set of `count` samples."""
    n = sorted_values.shape[1]
    if n == count:
        return sorted_values
    index = ((torch.arange(count, dtype=torch.float64) + 0.5) * (n / count)).long().clamp_(0, n - 1)
    return sorted_values.index_select(1, index)


def sliced_wasserstein2(projections_a: torch.Tensor, sorted_b: torch.Tensor) -> torch.Tensor:
    """Squared sliced W2 from projections (K, N) of one set and the row-sorted projections (K, M) of the other
    on the same K directions."""
    pa = sort_rows(projections_a)
    n, m = pa.shape[1], sorted_b.shape[1]
    if n <= m:
        return ((pa - _matched_quantiles(sorted_b, n)) ** 2).mean()
    return ((_matched_quantiles(pa, m) - sorted_b) ** 2).mean()


def colour_term(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Squared differences of per-channel means and standard deviations over the reference's variance, averaged
    over RGB."""
    am, bm = a.mean(dim=(0, 2, 3)), b.mean(dim=(0, 2, 3))
    asd, bsd = a.std(dim=(0, 2, 3)), b.std(dim=(0, 2, 3))
    return (((am - bm) ** 2 + (asd - bsd) ** 2) / (bsd ** 2 + 1e-4)).mean()


class TextureLoss:
    """`texture_distance` against a fixed exemplar with its patch sets precomputed.

    `loss(rgb, generator)` draws fresh projection directions from `generator` (training); `terms()` gives the
    per-level parts and the colour term."""

    def __init__(self, exemplar, patch: int = PATCH, scales: int = SCALES, projections: int = TRAIN_PROJECTIONS):
        self.exemplar = to_tensor_image(exemplar)
        self.patch, self.scales, self.projections = patch, scales, projections
        self.exemplar_levels = laplacian_pyramid(self.exemplar, scales)
        self.level_variance = [float(patches(level, patch).var(dim=0).mean()) + 1e-6
                               for level in self.exemplar_levels]

    def terms(self, rgb: torch.Tensor, generator: torch.Generator, wrap: bool = False) -> list[torch.Tensor]:
        parts = []
        levels = laplacian_pyramid(rgb, self.scales, wrap)
        for level, target, variance in zip(levels, self.exemplar_levels, self.level_variance):
            directions = random_directions(3 * self.patch * self.patch, self.projections, generator)
            with torch.no_grad():
                target_sorted = torch.from_numpy(np.sort(project_patches(target, directions, self.patch).numpy(), 1))
            projections = project_patches(level, directions, self.patch, wrap)
            parts.append(sliced_wasserstein2(projections, target_sorted) / variance)
        parts.append(colour_term(rgb, self.exemplar))
        return parts

    def loss(self, rgb: torch.Tensor, generator: torch.Generator, wrap: bool = False) -> torch.Tensor:
        return torch.stack(self.terms(rgb, generator, wrap)).sum()


@torch.no_grad()
def texture_distance(texture, exemplar, seed: int = 0, projections: int = METRIC_PROJECTIONS) -> float:
    """The project's metric: the training loss with fixed (seeded) projections and valid patches only."""
    generator = torch.Generator().manual_seed(int(seed))
    return float(TextureLoss(exemplar, projections=projections).loss(to_tensor_image(texture), generator))


# ---------------------------------------------------------------------------------------------------------------
# The independent metric (numpy; shares nothing with the loss above)


def _as_float_rgb(image) -> np.ndarray:
    if isinstance(image, torch.Tensor):
        t = image.detach().cpu().numpy()
        t = t[0] if t.ndim == 4 else t
        image = t.transpose(1, 2, 0)
    a = np.asarray(image)
    if a.ndim == 2:
        a = np.stack([a] * 3, axis=-1)
    a = a[..., :3]
    return a.astype(np.float64) / 255.0 if a.dtype == np.uint8 else a.astype(np.float64)


def _luminance(rgb: np.ndarray) -> np.ndarray:
    return rgb @ np.array([0.2126, 0.7152, 0.0722])


def _binomial_blur(image: np.ndarray) -> np.ndarray:
    """Separable [1, 4, 6, 4, 1] / 16 filter with reflected borders."""
    k = np.array([1.0, 4.0, 6.0, 4.0, 1.0]) / 16.0
    p = np.pad(image, 2, mode="reflect")
    rows = sum(k[i] * p[:, i:i + image.shape[1]] for i in range(5))
    return sum(k[i] * rows[i:i + image.shape[0], :] for i in range(5))


def _gaussian_levels(gray: np.ndarray, count: int) -> list[np.ndarray]:
    levels = [gray]
    for _ in range(count - 1):
        levels.append(_binomial_blur(levels[-1])[::2, ::2])
    return levels


def _laplacian_bands(gray: np.ndarray, count: int) -> list[np.ndarray]:
    bands, current = [], gray
    for _ in range(count):
        low = _binomial_blur(current)
        bands.append(current - low)
        current = low[::2, ::2]
    return bands


def _colour_part(a: np.ndarray, b: np.ndarray, bins: int = 64) -> float:
    edges = np.linspace(0.0, 1.0, bins + 1)
    parts = []
    for c in range(3):
        ha = np.histogram(np.clip(a[..., c], 0, 1), edges)[0] / a[..., c].size
        hb = np.histogram(np.clip(b[..., c], 0, 1), edges)[0] / b[..., c].size
        w1 = np.abs(np.cumsum(ha) - np.cumsum(hb)).sum() / bins
        parts.append(w1 / (np.abs(b[..., c] - b[..., c].mean()).mean() + 1e-8))
    return float(np.mean(parts))


def _band_part(ga: np.ndarray, gb: np.ndarray, levels: int = 4) -> list[float]:
    q = (np.arange(1000) + 0.5) / 1000.0
    parts = []
    for band_a, band_b in zip(_laplacian_bands(ga, levels), _laplacian_bands(gb, levels)):
        w1 = np.abs(np.quantile(band_a, q) - np.quantile(band_b, q)).mean()
        parts.append(float(w1 / (np.abs(band_b).mean() + 1e-8)))
    return parts


def _oriented_energy(gray: np.ndarray, bins: int = 8) -> np.ndarray:
    gx = gray[1:-1, 2:] - gray[1:-1, :-2]
    gy = gray[2:, 1:-1] - gray[:-2, 1:-1]
    magnitude = np.hypot(gx, gy)
    angle = np.mod(np.arctan2(gy, gx), np.pi)
    index = np.minimum((angle / np.pi * bins).astype(np.int64), bins - 1)
    return np.bincount(index.ravel(), weights=magnitude.ravel(), minlength=bins) / magnitude.size


def _gradient_part(ga: np.ndarray, gb: np.ndarray, levels: int = 3) -> list[float]:
    parts = []
    for la, lb in zip(_gaussian_levels(ga, levels), _gaussian_levels(gb, levels)):
        ha, hb = _oriented_energy(la), _oriented_energy(lb)
        parts.append(float(np.abs(ha - hb).sum() / (ha.sum() + hb.sum() + 1e-12)))
    return parts


def independent_metric(a, b, details: bool = False):
    """Distance of texture `a` from reference texture `b` (see the module docstring); lower is closer.

    Images: (H, W, 3) uint8 or float in [0, 1], or torch (3, H, W) / (1, 3, H, W); sizes may differ."""
    fa, fb = _as_float_rgb(a), _as_float_rgb(b)
    ga, gb = _luminance(fa), _luminance(fb)
    colour = _colour_part(fa, fb)
    bands = _band_part(ga, gb)
    gradients = _gradient_part(ga, gb)
    value = (colour + float(np.mean(bands)) + float(np.mean(gradients))) / 3.0
    if details:
        return {"value": value, "colour": colour, "bands": bands, "gradients": gradients}
    return value


# ---------------------------------------------------------------------------------------------------------------


def blurred_copy(exemplar, sigma: float = 2.0) -> np.ndarray:
    """The exemplar blurred by a Gaussian of `sigma` px (scipy.ndimage, reflected borders), float in [0, 1]."""
    from scipy.ndimage import gaussian_filter

    return gaussian_filter(_as_float_rgb(exemplar), sigma=(sigma, sigma, 0.0), mode="reflect")


def flat_copy(exemplar) -> np.ndarray:
    """An image of the exemplar's size filled with its mean colour, float in [0, 1]."""
    e = _as_float_rgb(exemplar)
    return np.broadcast_to(e.mean(axis=(0, 1)), e.shape).copy()


def compare_to_baselines(texture, exemplar) -> dict:
    """Both metrics (lower is closer) of the NCA texture, the blurred exemplar and the flat mean colour, each
    measured against the exemplar: {"nca": {"texture_distance": d, "independent": i, "independent_parts": {...}},
    "blur_sigma2": {...}, "flat_mean_colour": {...}}."""
    exemplar_f = _as_float_rgb(exemplar)
    candidates = {"nca": _as_float_rgb(texture), "blur_sigma2": blurred_copy(exemplar_f),
                  "flat_mean_colour": flat_copy(exemplar_f)}
    result = {}
    for name, image in candidates.items():
        parts = independent_metric(image, exemplar_f, details=True)
        result[name] = {"texture_distance": texture_distance(image.astype(np.float32), exemplar_f.astype(np.float32)),
                        "independent": parts["value"],
                        "independent_parts": {k: v for k, v in parts.items() if k != "value"}}
    return result
