"""Progress display: a rich progress bar on a terminal, plain log lines otherwise."""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections.abc import Callable, Iterator

log = logging.getLogger("synthcore")
LOG_EVERY_S = 5.0


@contextlib.contextmanager
def progress_reporter(label: str) -> Iterator[Callable[[int, int], None]]:
    """Yield a ``(done, total)`` callback that draws a bar on a TTY or logs every few seconds otherwise."""
    if sys.stderr.isatty():
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            transient=True,
        ) as bar:
            task = bar.add_task(label, total=None)
            yield lambda done, total: bar.update(task, completed=done, total=total)
        return
    last = [0.0]

    def log_line(done: int, total: int) -> None:
        now = time.monotonic()
        if done == total or now - last[0] >= LOG_EVERY_S:
            last[0] = now
            log.info("%s: %d/%d", label, done, total)

    yield log_line
