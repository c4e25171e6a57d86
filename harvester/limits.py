"""Size caps on what a source can make us hold: decoded responses, records, unterminated chunks, and the
quarantine's copy of input that was refused.

A library can send anything: a 408 KB gzip response that decodes to 1.3 GB, a record with a 50 MB field,
a 200 MB file without a single record terminator. Without caps each of these is held whole in memory,
then written whole to the quarantine. With them, the input is refused at the cap with a reason that
gives the sizes, the quarantine keeps a bounded excerpt plus the original size, and the other records
and sources go on. The values come from the ``[limits]`` table (`harvester.settings_table.LIMITS`),
per source when its own ``limits`` table overrides them.

    limits = Limits(max_record_bytes=1 << 20)
    if len(raw) > limits.max_record_bytes:
        reason = too_large("record", len(raw), limits.max_record_bytes, "max_record_bytes")
"""

from __future__ import annotations

from dataclasses import dataclass

from harvester.settings_table import LIMITS


@dataclass(frozen=True, slots=True)
class Limits:
    """The caps of one source (see `LIMITS` for what each one bounds)."""

    max_response_bytes: int = LIMITS["max_response_bytes"].default
    max_record_bytes: int = LIMITS["max_record_bytes"].default
    max_unterminated_bytes: int = LIMITS["max_unterminated_bytes"].default
    quarantine_excerpt_bytes: int = LIMITS["quarantine_excerpt_bytes"].default


DEFAULT_LIMITS = Limits()


def too_large(what: str, size: int, limit: int, setting: str, exact: bool = True) -> str:
    """The reason text for input over a cap: what, how big (``exact=False``: at least), which setting."""
    measured = f"{size:,} bytes" if exact else f"more than {limit:,} bytes"
    return f"{what} of {measured} is over the limit of {limit:,} bytes (limits.{setting})"


def human_size(size: int) -> str:
    """Bytes for people: 512 bytes, 64.0 KiB, 1.3 GiB."""
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{size:,} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size:,} bytes"  # pragma: no cover - the loop always returns
