"""`main.py train effect --exemplar IMAGE --out PATH [--minutes M | --iters N] [--size 64] [--seed S] [--threads T]
[--fresh]`: train a learned effect (a neural cellular automaton texture, `systems/effects/`).

Training allocates and frees multi-MB tensors thousands of times a second. glibc serves blocks above its mmap
threshold with fresh mmap/munmap calls (and page faults); the threshold adapts upwards only to 32 MiB, and setting
just one of the two variables below freezes it at 128 KiB. Measured on this 2-core machine (s/iteration):
`--size 64` on one thread shows no difference (batch 1, the default: 0.23-0.25 either way; batch 4: 0.81-0.91
either way); batch 4 on two threads 0.60-0.63 -> 0.52-0.61; `--size 128` with batch 8 (50 MB activations)
7.5-8.4 -> 5.3-5.6 (1.4-1.5x); MALLOC_TRIM_THRESHOLD_ alone 1.9 (2.2x slower than the default). So the command
re-executes itself once with both `MALLOC_MMAP_THRESHOLD_` and `MALLOC_TRIM_THRESHOLD_` raised to 1 GiB (glibc
reads them only at start-up) and with `OMP_NUM_THREADS` / `MKL_NUM_THREADS` set to `--threads` (oversubscribed
threads collapse throughput). It does so only for the command-line process itself (`main.py train ...`), never
when `run()` is called from other Python code, and at most once (`MOVIOLA_TRAIN_REEXEC`).
"""

from __future__ import annotations

import os
import sys

MALLOC_ENV = {"MALLOC_MMAP_THRESHOLD_": str(1 << 30), "MALLOC_TRIM_THRESHOLD_": str(1 << 30)}
REEXEC_FLAG = "MOVIOLA_TRAIN_REEXEC"


def _is_command_line_process() -> bool:
    argv = list(getattr(sys, "argv", []) or [])
    return bool(argv) and os.path.basename(argv[0]) == "main.py" and "train" in argv[1:]


def tuned_environment(threads: int, environ: dict | None = None) -> dict | None:
    """The environment to re-execute with, or None when the current one is already right."""
    environ = dict(os.environ if environ is None else environ)
    if environ.get(REEXEC_FLAG) == "1":
        return None
    wanted = dict(MALLOC_ENV)
    wanted.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    missing = {key: value for key, value in wanted.items() if key not in environ}
    if not missing:
        return None
    environ.update(missing)
    environ[REEXEC_FLAG] = "1"
    return environ


def _reexec_if_needed(threads: int) -> None:
    if not _is_command_line_process():
        return
    environ = tuned_environment(threads)
    if environ is None:
        return
    argv = list(getattr(sys, "orig_argv", None) or [sys.executable, *sys.argv])
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execve(sys.executable, [sys.executable, *argv[1:]], environ)
    except OSError:
        return  # cannot re-execute (unusual platform): train in this process with the defaults


def run(args) -> int:
    from engine.errors import InputError

    what = getattr(args, "what", "effect")
    if what != "effect":
        raise InputError(None, f"train: unknown target {what!r} (expected 'effect')")
    threads = int(getattr(args, "threads", None) or 1)
    _reexec_if_needed(threads)

    from systems.effects.training import train_effect

    result = train_effect(args.exemplar, args.out, minutes=getattr(args, "minutes", None),
                          iters=getattr(args, "iters", None), size=int(getattr(args, "size", None) or 64),
                          seed=int(getattr(args, "seed", None) or 0), threads=threads,
                          resume=not getattr(args, "fresh", False), progress=True)
    per_iteration = result["seconds_per_iteration"]
    speed = f", {per_iteration:.3f} s/iteration" if per_iteration else ""
    loss = f", loss {result['final_loss']:.4f}" if result["final_loss"] is not None else ""
    print(f"effect: {result['out']} ({result['iterations']} iterations, {result['seconds'] / 60:.1f} min of "
          f"training{speed}{loss}, {result['threads']} thread(s))")
    print(f"preview: {result['preview']}")
    return 0
