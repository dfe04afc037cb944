"""Capture file formats and readers: Live Link Face CSV, takes, BVH."""
