"""Writing scene files into a temp folder and loading them into a fresh app (shared by the scene tests)."""

import textwrap

from engine.app import App
from engine.scene_file import load_scene


def write_scene(tmp_path, text, name="scene.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def load_with(plugin, path):
    """A fresh app with `plugin` added, and the scene at `path` loaded into it: (app, SceneInfo)."""
    app = App()
    app.add_plugin(plugin)
    return app, load_scene(app, path)
