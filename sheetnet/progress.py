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

from tqdm import tqdm

SHOW_AFTER_SECONDS = 1.5


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
                state["bar"].close()
            state["phase"] = phase
            state["bar"] = tqdm(total=total, desc=f"{description}: {phase}", unit="cells", unit_scale=True,
                                delay=SHOW_AFTER_SECONDS, disable=None, file=sys.stderr, leave=False)
            state["started"] = time.perf_counter()
        state["bar"].update(done - state["bar"].n)
        if done >= total:
            state["bar"].close()
            state.pop("bar")
            state.pop("phase")

    return callback
