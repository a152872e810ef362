"""What every world offers the shared vocabulary: one HTTP exchange sent from next to a node, and the duration
units both worlds read.

A :class:`Transport` is a callable; the simulated world sends through its event loop in virtual time, the live world
(``LiveCluster``) through real sockets. Clients (:mod:`outpost.oci`) and the control plane (:mod:`outpost.control`)
are written against it only, so they behave the same in both worlds.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Protocol, Tuple, Union

Duration = Union[int, float, str]
"""Seconds as a number, or text as scenarios write it: ``"250ms"``, ``"90s"``, ``"10m"``, ``"1h30m"``, ``"2d"``,
ISO-8601 ``"PT1H"``; signed where a skew takes it (``"-5m"``)."""


@dataclass
class Response:
    """One answer: the status (0 when there was none: ``transport_error`` says why), headers and body."""

    status: int
    headers: List[Tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    transport_error: str = ""

    def header(self, name: str) -> Optional[str]:
        """The first value of a header, case-insensitively; None when absent."""
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None

    @property
    def ok(self) -> bool:
        """True for a 2xx answer."""
        return 200 <= self.status < 300


class Transport(Protocol):
    """Sends one request as a client standing next to ``node`` would (``"operator"``: the operator's machine) to
    ``authority`` (``"line1:5000"``), and returns the answer; never raises for a refusal or a transport failure."""

    def __call__(self, node: str, method: str, authority: str, target: str, headers: List[Tuple[str, str]],
                 body: bytes, timeout: float) -> Response: ...


_UNITS_NS = {"ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9, "d": 86400 * 10**9}
_HUMAN = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_ISO = re.compile(r"^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$", re.IGNORECASE)


def to_nanoseconds(duration: Duration) -> int:
    """Nanoseconds of a duration (see :data:`Duration`). Raises ValueError for anything else."""
    if isinstance(duration, bool):
        raise ValueError(f"{duration!r} is not a duration")
    if isinstance(duration, (int, float)):
        if not math.isfinite(duration) or abs(duration) * 1e9 >= 2**63:
            raise ValueError(f"{duration!r} is not a duration the worlds can count (at most about 292 years)")
        return int(round(duration * 1e9))
    if not isinstance(duration, str):
        raise ValueError(f"{duration!r} is not a duration: seconds, or text such as '90s', '10m', 'PT1H'")
    text = duration.strip()
    sign = -1 if text.startswith("-") else 1
    text = text[1:] if sign < 0 else text
    iso = _ISO.match(text)
    if iso and text.upper() not in ("P", "PT"):
        weeks, days, hours, minutes, seconds = iso.groups()
        total = (int(weeks or 0) * 7 * 86400 + int(days or 0) * 86400 + int(hours or 0) * 3600 +
                 int(minutes or 0) * 60) * 10**9 + int(round(float(seconds or 0) * 1e9))
        if total >= 2**63:  # as the text form: P106752D once came back as a count no world could take
            raise ValueError(f"'{duration}' is not a duration the worlds can count (at most about 292 years)")
        return sign * total
    total, rest = 0, text
    while rest:
        match = _HUMAN.match(rest)
        if not match:
            raise ValueError(f"'{duration}' is not a duration (250ms, 90s, 10m, 1h, 2d, 1h30m or ISO-8601 PT1H)")
        total += int(round(float(match.group(1)) * _UNITS_NS[match.group(2)]))
        rest = rest[match.end():]
    if not text:
        raise ValueError("an empty string is not a duration")
    if total >= 2**63:
        raise ValueError(f"'{duration}' is not a duration the worlds can count (at most about 292 years)")
    return sign * total


def to_seconds(duration: Duration) -> float:
    """Seconds of a duration (see :data:`Duration`)."""
    return to_nanoseconds(duration) / 1e9


def headers_dict(headers: List[Tuple[str, str]]) -> Dict[str, str]:
    """Headers as a dict with lower-case names (the first value of each)."""
    out: Dict[str, str] = {}
    for key, value in headers:
        out.setdefault(key.lower(), value)
    return out
