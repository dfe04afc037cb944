"""Model assets: plain-data `ModelAsset` (see `model`) and `load_model` for every supported file type."""

from engine.assets.mesh_loader import load_model

__all__ = ["load_model"]
