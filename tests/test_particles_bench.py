"""`bench_particles` runs the real system, the numpy reference and the copy, and reports all three (no timings)."""

from engine.cli.bench_particles import bench_particles


def test_bench_reports_step_numpy_and_copy_times():
    result = bench_particles(count=20_000, threads=1)
    assert set(result) == {"count", "threads", "step_ms", "numpy_ms", "copy_ms"}
    assert result["count"] == 20_000 and result["threads"] == 1
    assert result["step_ms"] > 0 and result["numpy_ms"] > 0 and result["copy_ms"] > 0
