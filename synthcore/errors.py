"""The single exception hierarchy of synthcore.

Every error carries its inputs as attributes and builds its message from them. ``exit_code`` tells the CLI
how to exit; ``retryable`` tells an orchestrator whether a retry can help.
"""

from __future__ import annotations

from collections.abc import Sequence


class SynthError(Exception):
    """Base of every synthcore error."""

    exit_code: int = 1
    retryable: bool = False
    remedy: str = "read the message and the stage's report, fix the cause, then trigger a new run"


class InputError(SynthError):
    """The caller's input is wrong; never retried."""

    exit_code = 2
    remedy = "fix the input the message names (params, connection, file) and trigger a new run; retries cannot help"


class SpecError(InputError):
    """A spec, pack or report file failed validation; lists every problem found."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = list(problems)
        super().__init__("\n".join(f"{source}: {p}" for p in self.problems))

    def __reduce__(self) -> tuple[type, tuple[str, list[str]]]:
        return (type(self), (self.source, self.problems))


class UnknownBand(InputError):
    """A band name that is not one of the presets."""

    def __init__(self, value: str, valid: Sequence[str]) -> None:
        self.value = value
        self.valid = list(valid)
        super().__init__(f"band {value!r} is unknown; choose one of: {', '.join(self.valid)}")

    def __reduce__(self) -> tuple[type, tuple[str, list[str]]]:
        return (type(self), (self.value, self.valid))


class ChunkOutOfRange(InputError):
    """A chunk index outside ``0 .. chunks-1``."""

    def __init__(self, index: int, chunks: int) -> None:
        self.index = index
        self.chunks = chunks
        super().__init__(f"chunk {index} is out of range: valid chunks are 0..{chunks - 1} (of {chunks})")

    def __reduce__(self) -> tuple[type, tuple[int, int]]:
        return (type(self), (self.index, self.chunks))


class OutputError(InputError):
    """An output location that cannot be written."""


class WriteFailed(SynthError):
    """Writing output failed while running (disk full, I/O error); nothing half-written is left behind."""


class PrivacyViolation(SynthError):
    """Fail closed: a scan hit, a missing key or a disclosure rule breached."""

    remedy = "nothing left the boundary; tell the privacy officer, fix the sampler or its key, then sample again"


class ProductionTargetRefused(SynthError):
    """The environment guard refused a target; names the target and the rule that matched."""

    def __init__(self, target: str, rule: str) -> None:
        self.target = target
        self.rule = rule
        super().__init__(f"refusing to write to {target!r}: it matches production rule {rule!r}")

    def __reduce__(self) -> tuple[type, tuple[str, str]]:
        return (type(self), (self.target, self.rule))


class LoadError(SynthError):
    """Loading into PostgreSQL failed."""


class TransientLoadError(LoadError):
    """A load failure a retry can fix (connection lost, server restart)."""

    retryable = True
    remedy = "retried automatically; if retries run out, check the database server, then clear the failed task"


class IntegrityCheckFailed(SynthError):
    """One or more integrity checks failed; ``failed`` names them."""

    remedy = "the loaded data is wrong: read integrity-report.json; keep the schema (keep_dataset) to inspect it"

    def __init__(self, failed: Sequence[str], detail: str = "") -> None:
        self.failed = list(failed)
        self.detail = detail
        msg = f"integrity checks failed: {', '.join(self.failed)}"
        super().__init__(f"{msg}\n{detail}" if detail else msg)

    def __reduce__(self) -> tuple[type, tuple[list[str], str]]:
        return (type(self), (self.failed, self.detail))


class GateFailed(SynthError):
    """A fidelity or baseline gate said NO-GO; ``report`` is where the reasons are."""

    remedy = "NO-GO is a finding, not a fault: read the named report with the data and performance teams"

    def __init__(self, gate: str, reasons: Sequence[str], report: str = "") -> None:
        self.gate = gate
        self.reasons = list(reasons)
        self.report = report
        where = f" (report: {report})" if report else ""
        super().__init__(f"{gate}: NO-GO{where}: " + "; ".join(self.reasons))

    def __reduce__(self) -> tuple[type, tuple[str, list[str], str]]:
        return (type(self), (self.gate, self.reasons, self.report))


def retryable_errors() -> list[type[SynthError]]:
    """Every SynthError class a retry can help (``retryable`` is a class property)."""
    found, todo = [], [SynthError]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.retryable:
            found.append(cls)
    return found
