"""ClipBank: every animation clip of every loaded model baked into flat arrays.

One numba call samples all playing instances: per channel the bank stores the
target node, path, interpolation and where its keys and values sit in the
shared `times` / `values` arrays.
"""

from __future__ import annotations

import numpy as np

from engine.assets.library import AssetLibrary

PATH_CODES = {"translation": 0, "rotation": 1, "scale": 2, "weights": 3}
INTERPOLATION_CODES = {"STEP": 0, "LINEAR": 1, "CUBICSPLINE": 2}


class ClipBank:
    def __init__(self):
        self.clip_channel_start = np.zeros(0, np.int32)
        self.clip_channel_count = np.zeros(0, np.int32)
        self.clip_duration = np.zeros(0, np.float64)
        self.clip_names: list[str] = []
        self.channel_node = np.zeros(0, np.int32)
        self.channel_path = np.zeros(0, np.int32)
        self.channel_interpolation = np.zeros(0, np.int32)
        self.channel_key_start = np.zeros(0, np.int32)
        self.channel_key_count = np.zeros(0, np.int32)
        self.channel_value_start = np.zeros(0, np.int32)
        self.channel_width = np.zeros(0, np.int32)
        self.times = np.zeros(0, np.float32)
        self.values = np.zeros(0, np.float32)
        # per model handle: its clips' global ids are clip_table[model_clip_offset[h]:][:model_clip_count[h]]
        self.model_clip_offset = np.zeros(0, np.int32)
        self.model_clip_count = np.zeros(0, np.int32)
        self.clip_table = np.zeros(0, np.int32)
        self._model_clips: list[list[int]] = []

    def sync(self, library: AssetLibrary) -> None:
        """Bake the clips added to the library since the last call: new models' clips and
        clips appended to a model later (capture takes retargeted onto a character)."""
        changed = False
        for handle in range(len(library)):
            clips = library[handle].asset.animations
            if handle == len(self._model_clips):
                self._model_clips.append([])
            baked = self._model_clips[handle]
            for clip in clips[len(baked):]:
                baked.append(self._bake(clip))
                changed = True
        if changed or len(self.model_clip_count) != len(self._model_clips):
            counts = np.array([len(ids) for ids in self._model_clips], np.int32)
            self.model_clip_count = counts
            self.model_clip_offset = (np.cumsum(counts) - counts).astype(np.int32)
            self.clip_table = np.array([i for ids in self._model_clips for i in ids] or [0], np.int32)

    def global_clips(self, models: np.ndarray, clips: np.ndarray) -> np.ndarray:
        """Global clip ids of asset-local clip indices (-1 where the index is out of range)."""
        valid = (clips >= 0) & (clips < self.model_clip_count[models])
        slots = np.where(valid, self.model_clip_offset[models] + clips, 0)
        return np.where(valid, self.clip_table[slots], -1).astype(np.int32)

    def _bake(self, clip) -> int:
        node, path, interp, key_start, key_count, value_start, width = [], [], [], [], [], [], []
        times, values = [self.times], [self.values]
        key_cursor, value_cursor = len(self.times), len(self.values)
        for channel in clip.channels:
            if channel.path not in PATH_CODES or len(channel.times) == 0:
                continue
            flat = np.asarray(channel.values, np.float32)
            channel_width = flat.shape[-1]
            node.append(channel.node)
            path.append(PATH_CODES[channel.path])
            interp.append(INTERPOLATION_CODES.get(channel.interpolation, 1))
            key_start.append(key_cursor)
            key_count.append(len(channel.times))
            value_start.append(value_cursor)
            width.append(channel_width)
            times.append(np.asarray(channel.times, np.float32))
            values.append(flat.reshape(-1))
            key_cursor += len(channel.times)
            value_cursor += flat.size
        clip_id = len(self.clip_names)
        self.clip_channel_start = np.append(self.clip_channel_start, np.int32(len(self.channel_node)))
        self.clip_channel_count = np.append(self.clip_channel_count, np.int32(len(node)))
        self.clip_duration = np.append(self.clip_duration, clip.duration)
        self.clip_names.append(clip.name)
        for name, extra in (("channel_node", node), ("channel_path", path), ("channel_interpolation", interp),
                            ("channel_key_start", key_start), ("channel_key_count", key_count),
                            ("channel_value_start", value_start), ("channel_width", width)):
            setattr(self, name, np.concatenate([getattr(self, name), np.asarray(extra, np.int32)]))
        self.times = np.concatenate(times)
        self.values = np.concatenate(values)
        return clip_id
