"""Run a function in a child made by ``fork`` (what gunicorn ``--preload`` workers and ``multiprocessing`` on Linux
do), with a deadline: a child that hangs fails the test instead of the run."""
from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable


def run_in_forked_child(fn: Callable[[], object], timeout: float = 60.0):
    """``fn()``'s value, computed in a forked child; ``queue.Empty`` after ``timeout`` seconds (the child hung)."""
    ctx = mp.get_context("fork")
    results = ctx.Queue()
    child = ctx.Process(target=lambda: results.put(fn()))
    child.start()
    try:
        return results.get(timeout=timeout)
    finally:
        child.join(10)
        if child.is_alive():
            child.kill()
