"""Capture: MediaPipe trackers, frame sources, filtering and stabilising of captured channels."""
