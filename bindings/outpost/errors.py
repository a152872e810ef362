"""The exceptions of the ``outpost`` package, shared by the simulated and the live world.

A call that reaches a registry and is refused raises a :class:`RegistryError` subclass chosen by the registry's
OCI error code (falling back to the HTTP status), carrying the code, message and status the registry sent, so a
test asserts on what the SPEC names (``excinfo.value.code == "DENIED"``). An exchange that never got an answer
raises :class:`TransportError`. The compiled simulator raises :class:`ScenarioError`, :class:`SimulationError`
and :class:`FaultNotSupported` from here as well.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Optional, Type


class Error(Exception):
    """Base of every error the package raises on purpose."""


class ScenarioError(Error, ValueError):
    """A scenario or topology is wrong; the message starts with the field's path
    (``scenario.topology.tree.depth: ...``)."""


class UnknownName(Error, ValueError, KeyError):
    """A node, link or token name the world does not know. A ``ValueError`` (a bad argument) and, as a failed
    lookup, a ``KeyError``."""

    def __str__(self) -> str:  # the message as written (a KeyError would show it quoted)
        return str(self.args[0]) if self.args else ""


class SimulationError(Error):
    """The simulated world failed (an exception escaped an event, setup did not finish). The world cannot run on;
    the message names the seed that replays it."""


class FaultNotSupported(Error, NotImplementedError):
    """This world cannot apply that fault (a toxic on the direct network, a simulator-only fault on a live
    cluster)."""


class NotConverged(Error, AssertionError):
    """Raised by :meth:`Convergence.check`: some nodes did not converge by the deadline; the message says which and
    why, and how to replay the run."""


class DigestMismatch(Error):
    """A pulled blob or manifest does not hash to its digest (SPEC 5.8: never acceptable)."""


class TransportError(Error):
    """The exchange got no answer: refused, reset, cut or timed out. Says nothing about whether the registry applied
    the request. ``message`` says what happened; ``method``, ``target`` and ``node`` name the exchange; ``status`` is
    0 and ``code`` None (there was no answer), so code reading them works for either kind of error."""

    def __init__(self, message: str, *, method: str = "", target: str = "", node: str = "") -> None:
        super().__init__(f"{method} {target} at {node}: {message}" if method else message)
        self.message = message
        self.method = method
        self.target = target
        self.node = node
        self.code: Optional[str] = None
        self.status = 0


class RegistryError(Error):
    """A registry answered with an error. ``code`` is the first OCI error code of the body (``UNAUTHORIZED``,
    ``DENIED``, ``NAME_UNKNOWN``, ...; ``None`` when the body had none), ``message`` its message, ``status`` the
    HTTP status, ``detail`` its detail, ``errors`` every entry of the body."""

    def __init__(self, status: int, code: Optional[str], message: str, *, detail: Any = None,
                 errors: Optional[list] = None, method: str = "", target: str = "", node: str = "",
                 headers: Optional[Dict[str, str]] = None) -> None:
        where = f" ({method} {target} at {node})" if method else ""
        super().__init__(f"{status} {code}: {message}{where}" if code else f"{status}: {message}{where}")
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail
        self.errors = errors or []
        self.method = method
        self.target = target
        self.node = node
        self.headers = headers or {}


class Invalid(RegistryError):
    """400: a malformed name, tag, digest, manifest or request body (``NAME_INVALID``, ``MANIFEST_INVALID``,
    ``INVALID_REQUEST``, ...)."""


class Unauthorized(RegistryError):
    """401 ``UNAUTHORIZED``: no credentials, or not accepted at this node (SPEC 4.1-4.3)."""


class Denied(RegistryError):
    """403 ``DENIED``: authenticated, but the operation is not allowed (scope, a write at a ReadOnly node)."""


class NotFound(RegistryError):
    """404: ``NAME_UNKNOWN``, ``MANIFEST_UNKNOWN``, ``BLOB_UNKNOWN``, ``NOT_FOUND``, ..."""


class Unsupported(RegistryError):
    """405 ``UNSUPPORTED``: the operation is not supported there."""


class Conflict(RegistryError):
    """409: ``CONFLICT``, ``LIMIT_EXCEEDED``, ``ALREADY_ACTIVATED``."""


class TooLarge(RegistryError):
    """413: a manifest or body beyond its limit."""


class TooManyRequests(RegistryError):
    """429 ``TOOMANYREQUESTS``: rate limited (failed Basic logins, SPEC 4.5)."""


class Unavailable(RegistryError):
    """503: the node is not serving (a disabled connected registry, SPEC 2.6)."""


class ServerError(RegistryError):
    """Another 5xx answer."""


_BY_CODE: Dict[str, Type[RegistryError]] = {
    "UNAUTHORIZED": Unauthorized,
    "DENIED": Denied,
    "NAME_UNKNOWN": NotFound,
    "MANIFEST_UNKNOWN": NotFound,
    "BLOB_UNKNOWN": NotFound,
    "BLOB_UPLOAD_UNKNOWN": NotFound,
    "NOT_FOUND": NotFound,
    "UNSUPPORTED": Unsupported,
    "TOOMANYREQUESTS": TooManyRequests,
    "CONFLICT": Conflict,
    "LIMIT_EXCEEDED": Conflict,
    "ALREADY_ACTIVATED": Conflict,
    "NAME_INVALID": Invalid,
    "TAG_INVALID": Invalid,
    "DIGEST_INVALID": Invalid,
    "MANIFEST_INVALID": Invalid,
    "MANIFEST_BLOB_UNKNOWN": Invalid,
    "BLOB_UPLOAD_INVALID": Invalid,
    "SIZE_INVALID": Invalid,
    "INVALID_REQUEST": Invalid,
}

_BY_STATUS: Dict[int, Type[RegistryError]] = {
    400: Invalid,
    401: Unauthorized,
    403: Denied,
    404: NotFound,
    405: Unsupported,
    409: Conflict,
    413: TooLarge,
    429: TooManyRequests,
    503: Unavailable,
}


def error_class(status: int, code: Optional[str]) -> Type[RegistryError]:
    """The class for an answer: by OCI code first, then by status."""
    if code == "UNSUPPORTED" and status in _BY_STATUS:
        # The spec's catch-all code: a bad `n` (400) or no such endpoint (404) means what its status means.
        return _BY_STATUS[status]
    if code in _BY_CODE:
        # A code that contradicts the status keeps the status's meaning (a 503 answering UNAUTHORIZED is a 503; a
        # manifest over the size limit is 413 MANIFEST_INVALID, and TooLarge).
        by_status = _BY_STATUS.get(status)
        chosen = _BY_CODE[code]
        if by_status is not None and by_status is not chosen and status in (413, 429, 503):
            return by_status
        return chosen
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status >= 500:
        return ServerError
    return RegistryError


def from_response(status: int, body: bytes, *, headers: Optional[Dict[str, str]] = None, method: str = "",
                  target: str = "", node: str = "") -> RegistryError:
    """The typed error for a refused exchange, from the OCI error body (``{"errors": [{"code", "message",
    "detail"}]}``) when there is one."""
    errors: list = []
    try:
        document = json.loads(body.decode("utf-8")) if body else None
        if isinstance(document, dict) and isinstance(document.get("errors"), list):
            errors = [entry for entry in document["errors"] if isinstance(entry, dict)]
    except (ValueError, UnicodeDecodeError):
        errors = []
    first = errors[0] if errors else {}
    code = first.get("code") if isinstance(first.get("code"), str) else None
    message = first.get("message") if isinstance(first.get("message"), str) else ""
    if not message:
        message = body[:200].decode("utf-8", "replace") if body else f"HTTP {status}"
    cls = error_class(status, code)
    return cls(status, code, message, detail=first.get("detail"), errors=errors, method=method, target=target,
               node=node, headers=headers)
