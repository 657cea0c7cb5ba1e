"""Named fault-injection points of the chunk transaction, so tests can prove exactly-once by breaking it.

``SYNTHCORE_FAULT=<point>:<table>:<chunk>:<action>`` makes the loader crash at ``point`` of one (table, chunk):

* ``chunk-copied``: the COPY and its ledger row are done, the transaction has not committed;
* ``chunk-committed``: the transaction (rows and ledger row) has committed.

``action`` is ``kill`` (SIGKILL this process, as the OOM killer or a node loss would) or ``fail`` (raise
``InjectedFault``). Unset, a point costs one environment lookup per chunk.
"""

from __future__ import annotations

import os
import signal
from typing import Literal

from synthcore.errors import InputError, LoadError

FAULT_ENV = "SYNTHCORE_FAULT"
FaultPoint = Literal["chunk-copied", "chunk-committed"]
POINTS = ("chunk-copied", "chunk-committed")
ACTIONS = ("kill", "fail")


class InjectedFault(LoadError):
    """The failure a ``fail`` fault point raises."""


def fault_point(point: FaultPoint, table: str, chunk: int) -> None:
    """Crash here if ``SYNTHCORE_FAULT`` names this point, table and chunk; otherwise do nothing.

    Raises:
        InjectedFault: the fault's action is ``fail``.
        InputError: ``SYNTHCORE_FAULT`` is malformed.
    """
    spec = os.environ.get(FAULT_ENV)
    if not spec:
        return
    parts = spec.split(":")
    if len(parts) != 4 or parts[0] not in POINTS or parts[3] not in ACTIONS or not parts[2].isdigit():
        form = f"<{'|'.join(POINTS)}>:<table>:<chunk>:<{'|'.join(ACTIONS)}>"
        raise InputError(f"{FAULT_ENV} must be {form} (got {spec!r})")
    if (parts[0], parts[1], int(parts[2])) != (point, table, chunk):
        return
    if parts[3] == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    raise InjectedFault(f"injected fault at {point} of {table} chunk {chunk}")
