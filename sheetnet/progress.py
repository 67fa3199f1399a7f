"""Console progress for the phases that can take a while: generation, evaluation, LibreOffice.

A tqdm bar on stderr that appears only after a phase has run for a moment and only on a
terminal (tqdm's `disable=None`), so scripts and CI logs stay clean.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Callable, Iterator

SHOW_AFTER_SECONDS = 1.5


def tqdm(*args, **kwargs):
    """tqdm, imported when a bar is first made: a quick command never draws one, nor pays for the import."""
    from tqdm import tqdm as bar_type

    return bar_type(*args, **kwargs)


@contextlib.contextmanager
def bar(description: str, total: int | None, unit: str = "cells") -> Iterator[Callable[[int], None]]:
    """Yields `update(done)`: how much of `total` is done so far."""
    with tqdm(total=total, desc=description, unit=unit, unit_scale=True, delay=SHOW_AFTER_SECONDS,
              disable=None, file=sys.stderr, leave=False, dynamic_ncols=True) as progress:

        def update(done: int) -> None:
            progress.update(done - progress.n)

        yield update


@contextlib.contextmanager
def spinner(description: str) -> Iterator[None]:
    """Elapsed time for a phase we cannot measure from inside (a LibreOffice run)."""
    stop = threading.Event()
    with tqdm(desc=description, total=None, unit="s", delay=SHOW_AFTER_SECONDS, disable=None,
              file=sys.stderr, leave=False, bar_format="{desc}: {elapsed}") as progress:

        def tick() -> None:
            while not stop.wait(0.5):
                progress.refresh()

        thread = threading.Thread(target=tick, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()


def phase_callback(description: str) -> Callable[[str, int, int], None]:
    """An evaluator progress callback (phase, done, total) that draws one bar per phase."""
    state: dict = {}

    def callback(phase: str, done: int, total: int) -> None:
        if state.get("phase") != phase:
            if "bar" in state:
                state.pop("bar").close()
            state["phase"] = phase
            state["started"] = time.perf_counter()
        elapsed = time.perf_counter() - state["started"]
        if "bar" not in state and done < total and elapsed >= SHOW_AFTER_SECONDS:  # made only when it will show
            state["bar"] = tqdm(total=total, desc=f"{description}: {phase}", unit="cells", unit_scale=True,
                                delay=0, disable=None, file=sys.stderr, leave=False)
        if "bar" in state:
            state["bar"].update(done - state["bar"].n)
        if done >= total:
            if "bar" in state:
                state.pop("bar").close()
            state.pop("phase")

    return callback
