"""Offline PII and secret scan of a metrics pack: closed-schema check, decoders, detectors; fails closed."""

from synthcore.privacy.scan import require_clean, scan_pack_bytes, scan_pack_file

__all__ = ["require_clean", "scan_pack_bytes", "scan_pack_file"]
