"""Clip cues: at scene time t the last cue at or before t picks the clip, which starts at the cue time.

Cues live in one flat library (times and asset-local clip indices); a player's
entity holds its range, so switching is a vectorised search, not a Python
loop over characters.
"""

from __future__ import annotations

import numpy as np

from components.model import AnimationPlayer, ClipCues
from engine.clock import Clock
from engine.query import Query, Read, Write
from engine.schedule import Res


class CueLibrary:
    def __init__(self):
        self.times = np.zeros(0, np.float64)
        self.clips = np.zeros(0, np.int32)

    def add(self, times, clips) -> tuple[int, int]:
        first = len(self.times)
        self.times = np.concatenate([self.times, np.asarray(times, np.float64)])
        self.clips = np.concatenate([self.clips, np.asarray(clips, np.int32)])
        return first, len(times)


def apply_clip_cues(
    players: Query[Read[ClipCues], Write[AnimationPlayer]],
    cues: Res[CueLibrary],
    clock: Res[Clock],
):
    for view in players:
        first, count = view[ClipCues.first], view[ClipCues.count]
        # cues passed so far in each range (vectorised over entities and their cues)
        width = int(count.max(initial=0))
        if width == 0:
            continue
        index = first[:, None] + np.arange(width)[None, :]
        valid = np.arange(width)[None, :] < count[:, None]
        passed = valid & (cues.times[np.minimum(index, len(cues.times) - 1)] <= clock.time)
        active = passed.sum(axis=1) - 1
        has_cue = active >= 0
        chosen = first + np.maximum(active, 0)
        view[AnimationPlayer.clip] = np.where(has_cue, cues.clips[chosen], view[AnimationPlayer.clip])
        view[AnimationPlayer.start_time] = np.where(has_cue, cues.times[chosen], view[AnimationPlayer.start_time])
