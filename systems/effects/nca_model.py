"""The neural cellular automaton texture model of `systems/effects/SPEC.md`, in torch.

A state is a float32 tensor `x` of shape (B, C, H, W). One step:

1. perception: every channel is filtered by 4 fixed depthwise 3x3 kernels (identity, Sobel x, Sobel y,
   Laplacian) with wrapped (toroidal) or clamped (edge-replicate) borders, giving 4C features laid out
   `p[4*c + k]`. Kernels are applied as correlations, the way `torch.nn.functional.conv2d` does:
   `p[4c+k](y, x) = sum_{dy,dx in -1..1} K_k[dy+1][dx+1] * x[c](y+dy, x+dx)` (row index = y, downwards);
2. update: `dx = W2 @ relu(W1 @ p + b1)` per cell (a 1x1-conv MLP, W2 has no bias);
3. stochastic update: `x + dx * mask`, the mask firing each cell with probability `fire_rate`, from the
   SPEC's integer hash of (column, row, step, seed) (`step_mask`), an explicit mask, or `torch.rand`.

The visible colour is `rgb = clamp(x[:, 0:3] + 0.5, 0, 1)` (sRGB-encoded).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

_U32 = 0xFFFFFFFF

# The 4 perception kernels, in the SPEC's order; rows are y (downwards), columns x.
IDENTITY = [[0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]
SOBEL_X = [[-1 / 8, 0.0, 1 / 8], [-2 / 8, 0.0, 2 / 8], [-1 / 8, 0.0, 1 / 8]]
SOBEL_Y = [[-1 / 8, -2 / 8, -1 / 8], [0.0, 0.0, 0.0], [1 / 8, 2 / 8, 1 / 8]]
LAPLACIAN = [[1 / 16, 2 / 16, 1 / 16], [2 / 16, -12 / 16, 2 / 16], [1 / 16, 2 / 16, 1 / 16]]
KERNELS = (IDENTITY, SOBEL_X, SOBEL_Y, LAPLACIAN)


@dataclass(frozen=True)
class NCAConfig:
    """Model shape: state channels (12..16), hidden units of the update MLP, per-cell firing probability."""

    channels: int = 12
    hidden: int = 96
    fire_rate: float = 0.5

    def validate(self) -> None:
        if not 12 <= int(self.channels) <= 16:
            raise ValueError(f"channels must be 12..16, got {self.channels}")
        if not 1 <= int(self.hidden) <= 4096:
            raise ValueError(f"hidden must be 1..4096, got {self.hidden}")
        if not (0.0 < float(self.fire_rate) <= 1.0):
            raise ValueError(f"fire_rate must be in (0, 1], got {self.fire_rate}")


def perception_kernels(channels: int) -> torch.Tensor:
    """Depthwise conv weight (4C, 1, 3, 3): output channel 4*c + k is kernel k applied to channel c."""
    base = torch.tensor(KERNELS, dtype=torch.float32)  # (4, 3, 3)
    return base.repeat(channels, 1, 1).unsqueeze(1).contiguous()


def _mul_u32(h: torch.Tensor, k: int) -> torch.Tensor:
    """(h * k) mod 2**32 for int64 tensors holding uint32 values, without int64 overflow."""
    lo, hi = k & 0xFFFF, (k >> 16) & 0xFFFF
    return (h * lo + (((h * hi) & 0xFFFF) << 16)) & _U32


def hash_uniform(height: int, width: int, step_index: int, seed: int) -> torch.Tensor:
    """The SPEC's per-cell uniform `u` in [0, 1) as a float32 (H, W) tensor (x = column, y = row)."""
    ys = torch.arange(height, dtype=torch.int64).view(height, 1)
    xs = torch.arange(width, dtype=torch.int64).view(1, width)
    step_term = ((int(step_index) & _U32) * 0xCB1AB31F) & _U32
    seed_term = ((int(seed) & _U32) * 0x165667B1) & _U32
    h = _mul_u32(xs, 0x8DA6B343) ^ _mul_u32(ys, 0xD8163841) ^ (step_term ^ seed_term)
    h = h ^ (h >> 16)
    h = _mul_u32(h, 0x7FEB352D)
    h = h ^ (h >> 15)
    h = _mul_u32(h, 0x846CA68B)
    h = h ^ (h >> 16)
    return (h >> 8).to(torch.float32) / 16777216.0


def step_mask(height: int, width: int, step_index: int, seed: int, fire_rate: float = 0.5) -> torch.Tensor:
    """The SPEC's firing mask for one step: float32 (H, W), 1 where `u < fire_rate` (compared in float32)."""
    u = hash_uniform(height, width, step_index, seed)
    return (u < torch.tensor(float(fire_rate), dtype=torch.float32)).to(torch.float32)


class NCA(torch.nn.Module):
    """Parameters `w1` (HIDDEN, 4C), `b1` (HIDDEN,), `w2` (C, HIDDEN), named as in the checkpoint."""

    def __init__(self, config: NCAConfig | None = None, generator: torch.Generator | None = None):
        super().__init__()
        config = config or NCAConfig()
        config.validate()
        self.config = config
        c, hidden = int(config.channels), int(config.hidden)
        bound = 1.0 / math.sqrt(4 * c)  # torch's default conv init range for fan_in = 4C
        w1 = (torch.rand(hidden, 4 * c, generator=generator) * 2.0 - 1.0) * bound
        b1 = (torch.rand(hidden, generator=generator) * 2.0 - 1.0) * bound
        self.w1 = torch.nn.Parameter(w1.to(torch.float32))
        self.b1 = torch.nn.Parameter(b1.to(torch.float32))
        self.w2 = torch.nn.Parameter(torch.zeros(c, hidden, dtype=torch.float32))
        self.register_buffer("kernels", perception_kernels(c), persistent=False)

    @property
    def channels(self) -> int:
        return int(self.config.channels)

    def perceive(self, x: torch.Tensor, wrap: bool = True) -> torch.Tensor:
        """(B, C, H, W) -> (B, 4C, H, W) features, `p[:, 4*c + k]` = kernel k on channel c."""
        padded = F.pad(x, (1, 1, 1, 1), mode="circular" if wrap else "replicate")
        return F.conv2d(padded, self.kernels, groups=self.channels)

    def update(self, x: torch.Tensor, wrap: bool = True) -> torch.Tensor:
        """The unmasked update `dx` (B, C, H, W)."""
        p = self.perceive(x, wrap)
        h = torch.relu(F.conv2d(p, self.w1[:, :, None, None], self.b1))
        return F.conv2d(h, self.w2[:, :, None, None])

    def step(self, x: torch.Tensor, step_index: int | None = None, seed: int = 0,
             mask: torch.Tensor | None = None, wrap: bool = True) -> torch.Tensor:
        """One step. The firing mask: `mask` if given ((H, W), (B, H, W) or (B, 1, H, W), 0/1 values);
        else the SPEC hash when `step_index` is given (the same cells fire in every batch entry);
        else `torch.rand` (global generator)."""
        _, _, height, width = x.shape
        if mask is None:
            if step_index is not None:
                mask = step_mask(height, width, step_index, seed, self.config.fire_rate)
            else:
                mask = (torch.rand(x.shape[0], 1, height, width) < self.config.fire_rate).to(x.dtype)
        mask = mask.to(device=x.device, dtype=x.dtype)
        if mask.dim() == 3:
            mask = mask.unsqueeze(1)
        return x + self.update(x, wrap) * mask

    def forward(self, x: torch.Tensor, steps: int = 1, start_step: int | None = None, seed: int = 0,
                wrap: bool = True) -> torch.Tensor:
        """`steps` steps; with `start_step` given they use the hash masks of steps start_step, start_step+1, ..."""
        for i in range(int(steps)):
            x = self.step(x, None if start_step is None else start_step + i, seed, wrap=wrap)
        return x

    @staticmethod
    def rgb(x: torch.Tensor) -> torch.Tensor:
        """The visible colour (B, 3, H, W) in [0, 1]."""
        return torch.clamp(x[:, 0:3] + 0.5, 0.0, 1.0)

    def seed_state(self, batch: int, size: int | tuple[int, int]) -> torch.Tensor:
        """All-zero states (B, C, H, W); `size` is a side or (height, width)."""
        height, width = (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))
        return torch.zeros(batch, self.channels, height, width, dtype=torch.float32, device=self.w1.device)

    @torch.no_grad()
    def generate(self, size: int | tuple[int, int], steps: int, seed: int = 0, wrap: bool = True) -> torch.Tensor:
        """The texture after `steps` hash-masked steps from a seed state: float32 (3, H, W) in [0, 1]."""
        return self.rgb(self.forward(self.seed_state(1, size), steps, start_step=0, seed=seed, wrap=wrap))[0]
