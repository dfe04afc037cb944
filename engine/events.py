"""Double-buffered event queues: an event lives for the frame it was sent and the next.

Readers keep a cursor, so each reader sees each event once however many systems
read the same queue; two buffers let a system that runs earlier in the next
frame still see what a later system sent.
"""

from __future__ import annotations


class Events:
    def __init__(self):
        self._previous: list = []
        self._current: list = []
        self._start = 0  # global sequence number of _previous[0]

    def send(self, event) -> None:
        self._current.append(event)

    def update(self) -> None:
        """Called once per frame by the app: drop the oldest buffer."""
        self._start += len(self._previous)
        self._previous, self._current = self._current, []

    @property
    def _end(self) -> int:
        return self._start + len(self._previous) + len(self._current)

    def read_from(self, cursor: int) -> tuple[list, int]:
        """Events at or after sequence number `cursor`; returns (events, new cursor)."""
        cursor = max(cursor, self._start)
        merged = self._previous + self._current
        return merged[cursor - self._start :], self._end
