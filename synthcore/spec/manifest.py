"""MappingManifest: how a metrics pack was made, bound to the exact pack bytes by their SHA-256.

Written beside the pack as ``<pack stem>_mapping.json``. It describes tokenization (algorithm, key reference by
name, key fingerprint), the privacy level, the disclosure-control parameters and what they suppressed, the DP
budget spent, retention, provenance, and the pack's SHA-256, which approval and upload re-check. It holds no key,
no token and no identifier; every free-form field is pattern-limited.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Annotated, Final, Literal

from pydantic import AwareDatetime, Field, model_validator

from synthcore.spec.base import StrictModel

MANIFEST_SUFFIX = "_mapping.json"
RETENTION_DAYS: Final = 90
PRIVACY_LEVEL = "ANONYMIZED_SHAPE_ONLY"
NORMALISATION = "uuid: canonical lowercase text; grouping and distinct counts run inside PostgreSQL"
DP_MECHANISM = "discrete Laplace (OpenDP make_laplace over vector_domain, l1_distance)"
DP_UNIT = "row"

Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/+-]{0,127}$")]
"""A short machine name (file, host, database, version): no spaces, no free text, no ``@``."""
OPERATOR_PATTERN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
"""An account name (OS user, service account): letters, digits, ``._-``; never an email address."""


class Tokenization(StrictModel):
    """How identifiers are keyed inside the boundary; the key itself is only referenced by name."""

    algorithm: Literal["HMAC-SHA256"]
    key_reference: str = Field(pattern=r"^env:[A-Z][A-Z0-9_]{0,63}$", description="where the key is read from")
    key_fingerprint: str = Field(
        pattern=r"^hmac-sha256:[0-9a-f]{16}$", description="HMAC of a fixed label under the key; reveals nothing"
    )
    key_min_bytes: int = Field(ge=32)
    normalisation: Literal[NORMALISATION]  # type: ignore[valid-type]
    tokens_exported: Literal[False]


class DisclosureRecord(StrictModel):
    """The disclosure-control parameters applied and what they did."""

    k: int = Field(ge=2)
    rounding: int = Field(ge=5)
    cells_published: int = Field(ge=0)
    cells_suppressed: int = Field(ge=0)
    cells_secondary_suppressed: int = Field(ge=0)
    percentiles_published: int = Field(ge=0)
    percentiles_withheld: int = Field(ge=0)


class EpsilonSpend(StrictModel):
    """Epsilon spent by one noised release of the pack."""

    metric: str = Field(pattern=r"^[A-Za-z0-9_.]{1,100}$")
    epsilon: float = Field(gt=0)
    sensitivity: int = Field(ge=1)


class DifferentialPrivacy(StrictModel):
    """The DP budget: null epsilon when the pack was not noised."""

    enabled: bool
    epsilon_spent: float | None = Field(default=None, ge=0)
    unit: Literal[DP_UNIT] | None = None  # type: ignore[valid-type]
    mechanism: Literal[DP_MECHANISM] | None = None  # type: ignore[valid-type]
    ledger: list[EpsilonSpend] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> DifferentialPrivacy:
        if self.enabled != (self.epsilon_spent is not None):
            raise ValueError(f"epsilon_spent must be set exactly when enabled (got {self.epsilon_spent})")
        return self


class Retention(StrictModel):
    """How long the pack may be kept."""

    days: Literal[90]
    created_at: AwareDatetime
    expires_at: AwareDatetime

    @model_validator(mode="after")
    def _expiry(self) -> Retention:
        if (self.expires_at - self.created_at).days != self.days:
            raise ValueError(f"expires_at must be created_at + {self.days} days (got {self.expires_at.isoformat()})")
        return self


class Provenance(StrictModel):
    """Who produced the pack, where, from which database, with which code."""

    operator: str = Field(pattern=f"^{OPERATOR_PATTERN.pattern}$")
    host: Name
    source_database: Name = Field(description="host:port/dbname of the sampled database, without credentials")
    code_version: Name
    window_start: AwareDatetime
    window_end: AwareDatetime
    sampler_seconds: float = Field(ge=0)


class MappingManifest(StrictModel):
    """The manifest written beside every metrics pack."""

    manifest_version: Literal[1]
    pack_file: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}\.json$")
    pack_sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the exact pack bytes")
    privacy_level: Literal[PRIVACY_LEVEL]  # type: ignore[valid-type]
    tokenization: Tokenization
    disclosure: DisclosureRecord
    differential_privacy: DifferentialPrivacy
    retention: Retention
    provenance: Provenance


def manifest_path_for(pack_path: Path) -> Path:
    """``<dir>/<pack stem>_mapping.json``: the manifest's place beside its pack."""
    return pack_path.with_name(pack_path.stem + MANIFEST_SUFFIX)


def expiry(created_at: datetime) -> datetime:
    """The date a pack created at ``created_at`` must be deleted."""
    from datetime import timedelta

    return created_at + timedelta(days=RETENTION_DAYS)
