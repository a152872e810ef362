"""The endpoints file of the conformance runner: what a deployment exposes and which credentials the runner may use.

The format is documented in docs/python.md ("Conformance runner"). This module parses and validates it (every error
names its place: `connectedRegistries[1] (line1).mode: ...`), and answers the questions the tests ask of a deployment
described only by its public face: which repositories a connected registry syncs, what a client token may do there,
which repository a test may push to so that a given connected registry receives it.

Nothing here talks to the network.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
import re
from pathlib import Path
from typing import Any, Iterable

MODES = ("ReadWrite", "ReadOnly")
LEGACY_MODES = {"Registry": "ReadWrite", "Mirror": "ReadOnly"}  # SPEC 2.1 accepts these on input
REPOSITORY_ACTIONS = ("content/read", "content/write", "content/delete", "metadata/read", "metadata/write")
ACCESS_SHORTHANDS = {
    "pull": ("content/read", "metadata/read"),
    "push": ("content/read", "content/write", "metadata/read", "metadata/write"),
    "all": REPOSITORY_ACTIONS,
}
DEFAULT_TIMEOUTS = {"request": 10.0, "propagation": 60.0, "poll": 0.2}
MAX_SECONDS = 86400  # the largest timeout the file may give: a day
_ACTION = re.compile(r"^repositories/(?P<repo>.+)/(?P<action>content/(read|write|delete)|metadata/(read|write))$")
_CR_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]{4,39}$")  # SPEC 2.1


class EndpointsError(ValueError):
    """The endpoints file is not usable; the message names the place and what is allowed."""


@dataclasses.dataclass(frozen=True)
class Credentials:
    username: str
    password: str

    @property
    def auth(self) -> tuple[str, str]:
        return self.username, self.password


@dataclasses.dataclass(frozen=True)
class ClientToken:
    name: str
    password: str
    # (repository pattern, action) pairs, SPEC 3.1: a pattern is a name, `prefix/*` or `*`.
    rules: tuple[tuple[str, str], ...]

    @property
    def credentials(self) -> Credentials:
        return Credentials(self.name, self.password)

    def allows(self, repository: str, action: str) -> bool:
        """SPEC 3.1: permissions add up across matching rules."""
        return any(act == action and pattern_matches(pattern, repository) for pattern, act in self.rules)

    def can_read(self, repository: str) -> bool:
        """What `tags/list`, referrers and `GET /v2/` count as reading (SPEC 3.6 needs content/read for pulls)."""
        return self.allows(repository, "content/read")

    def can_write(self, repository: str) -> bool:
        return self.allows(repository, "content/write") and self.allows(repository, "content/read")

    @property
    def read_only(self) -> bool:
        return all(action in ("content/read", "metadata/read") for _, action in self.rules)


@dataclasses.dataclass(frozen=True)
class ConnectedRegistry:
    name: str
    url: str
    mode: str
    parent: str  # "cloud" or another connected registry's name
    repositories: tuple[str, ...]
    client_tokens: tuple[ClientToken, ...]
    sync_token: Credentials | None

    @property
    def read_only(self) -> bool:
        return self.mode == "ReadOnly"


@dataclasses.dataclass(frozen=True)
class Cloud:
    url: str
    data_endpoint: str | None
    admin: Credentials | None
    token: Credentials | None
    scratch_repository: str

    @property
    def credentials(self) -> Credentials | None:
        """What the runner uses for content at the cloud: the admin user, else the token, else nothing (anonymous)."""
        return self.admin or self.token


@dataclasses.dataclass(frozen=True)
class Timeouts:
    request: float      # seconds per HTTP request
    propagation: float  # seconds for a change made at one node to be observed at another
    poll: float         # seconds between two observations while waiting


@dataclasses.dataclass(frozen=True)
class Endpoints:
    name: str
    source: str
    cloud: Cloud
    connected_registries: tuple[ConnectedRegistry, ...]
    timeouts: Timeouts
    tls_verify: bool | str
    cleanup: bool
    management_changes: bool

    def cr(self, name: str) -> ConnectedRegistry:
        for cr in self.connected_registries:
            if cr.name == name:
                return cr
        raise KeyError(name)

    def ancestors(self, cr: ConnectedRegistry) -> list[ConnectedRegistry]:
        """Parents first up to (not including) the cloud."""
        chain = []
        node = cr
        while node.parent != "cloud":
            node = self.cr(node.parent)
            chain.append(node)
        return chain

    def children(self, name: str) -> list[ConnectedRegistry]:
        return [cr for cr in self.connected_registries if cr.parent == name]

    def syncs(self, cr: ConnectedRegistry, repository: str) -> bool:
        """SPEC 2.5: a connected registry syncs only what its parent can read, so a repository reaches it when it
        matches the patterns of the registry and of every ancestor."""
        return all(any(pattern_matches(p, repository) for p in node.repositories) for node in [cr, *self.ancestors(cr)])

    def test_repository(self, cr: ConnectedRegistry, run_id: str) -> str | None:
        """A repository the runner may push at the cloud so that `cr` receives it: a concrete name taken from the first
        of its patterns that its ancestors sync too (`apps/*` gives `apps/conformance-<run>`; a plain name is used as
        is, with run-specific tags)."""
        for pattern in cr.repositories:
            candidate = concrete_repository(pattern, f"conformance-{run_id}")
            if self.syncs(cr, candidate):
                return candidate
        return None

    def outside_repository(self, cr: ConnectedRegistry, run_id: str) -> str | None:
        """A repository `cr` does not sync (None when one of its patterns is `*`)."""
        candidate = f"conformance-outside-{run_id}/elsewhere"
        return None if any(pattern_matches(p, candidate) for p in cr.repositories) else candidate


def pattern_matches(pattern: str, repository: str) -> bool:
    """SPEC 3.1: `*` matches every repository; `prefix/*` every repository under `prefix/` (not `prefix` itself)."""
    if pattern == "*":
        return True
    if pattern.endswith("/*"):
        prefix = pattern[:-1]
        return repository.startswith(prefix) and len(repository) > len(prefix)
    return pattern == repository


def concrete_repository(pattern: str, leaf: str) -> str:
    if pattern == "*":
        return leaf
    if pattern.endswith("/*"):
        return pattern[:-1] + leaf
    return pattern


# --- parsing ---------------------------------------------------------------------------------------------------------


class _Reader:
    """Reads one JSON object with the given keys, refusing any other (a misspelt key is an error, not a silently taken
    default), and naming the key a misspelt one is close to."""

    def __init__(self, value: Any, where: str, keys: Iterable[str]):
        if not isinstance(value, dict):
            raise EndpointsError(f"{where}: expected a JSON object, got {json.dumps(value)[:80]}")
        self.value = value
        self.where = where
        self.keys = tuple(keys)

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ..., what: str = "") -> Any:
        assert key in self.keys, key
        if key not in self.value or self.value[key] is None and default is not ...:
            if default is ...:
                meant = [typo for typo in self._unknown() if _close_to(typo, [key])]
                if meant:  # the mistake is the misspelling, not a missing key
                    raise EndpointsError(f"{self.where}: unknown key {meant[0]} (did you mean {key}?); {key} is "
                                         f"required{' (' + what + ')' if what else ''}")
                raise EndpointsError(f"{self.where}.{key}: required{' (' + what + ')' if what else ''}")
            return default
        found = self.value[key]
        if isinstance(found, bool) and kind in (int, float, (int, float)):
            raise EndpointsError(f"{self.where}.{key}: expected a number, got {json.dumps(found)}")
        if not isinstance(found, kind):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            raise EndpointsError(f"{self.where}.{key}: expected {names}, got {json.dumps(found)[:80]}")
        return found

    def _unknown(self) -> list[str]:
        return sorted(key for key in self.value if key not in self.keys)

    def done(self) -> None:
        unknown = self._unknown()
        if unknown:
            absent = [key for key in self.keys if key not in self.value]
            named = []
            for key in unknown:
                meant = _close_to(key, absent)
                named.append(f"{key} (did you mean {meant[0]}?)" if meant else key)
            raise EndpointsError(f"{self.where}: unknown key{'s' if len(unknown) > 1 else ''} {', '.join(named)}; "
                                 f"allowed: {', '.join(sorted(self.keys))}")


def _close_to(typo: str, keys: Iterable[str]) -> list[str]:
    """[the one of `keys` that `typo` likely misspells, whatever the case of its letters], or [] when none is close."""
    by_lower = {key.lower(): key for key in keys}
    return [by_lower[match] for match in difflib.get_close_matches(typo.lower(), by_lower, n=1)]


def _seconds(reader: _Reader, key: str, default: float) -> float:
    """A timeout: a number of seconds above 0 and at most MAX_SECONDS (NaN and Infinity, which Python's JSON reads,
    are neither; a deadline of NaN never passes, and a socket cannot wait 1e10 s)."""
    value = float(reader.get(key, (int, float), default))
    if not 0 < value <= MAX_SECONDS:  # False for NaN
        shown = f"{value:g}" if math.isfinite(value) else json.dumps(value)  # NaN, Infinity as the file writes them
        raise EndpointsError(f"{reader.where}.{key}: expected seconds above 0 and at most {MAX_SECONDS}, got {shown}")
    return value


def _url(value: str, where: str) -> str:
    if not re.match(r"^https?://[^/\s]+/?$", value):
        raise EndpointsError(f"{where}: expected an http:// or https:// URL with no path (e.g. http://127.0.0.1:5000), "
                             f"got {value!r}")
    return value.rstrip("/")


def _credentials(value: Any, where: str, user_key: str) -> Credentials:
    reader = _Reader(value, where, (user_key, "password"))
    credentials = Credentials(reader.get(user_key, str), reader.get("password", str))
    reader.done()
    return credentials


def _rules_from_actions(actions: Iterable[Any], where: str) -> tuple[tuple[str, str], ...]:
    rules = []
    for i, action in enumerate(actions):
        if not isinstance(action, str):
            raise EndpointsError(f"{where}[{i}]: expected a string")
        if action.startswith("gateway/"):
            continue  # gateway actions do not open the client API (SPEC 3.6)
        match = _ACTION.match(action)
        if not match:
            raise EndpointsError(f"{where}[{i}]: {action!r} is not `repositories/<repo>/<content|metadata>/<verb>` "
                                 "(SPEC 3.1)")
        rules.append((match["repo"].lower(), match["action"]))
    return tuple(rules)


def _client_token(value: Any, where: str, repositories: tuple[str, ...]) -> ClientToken:
    reader = _Reader(value, where, ("name", "password", "actions", "access", "scopeMap", "password2"))
    name = reader.get("name", str)
    password = reader.get("password", str)
    actions = reader.get("actions", list, None)
    access = reader.get("access", str, None)
    reader.get("scopeMap", str, None)  # informative only (cluster files carry it)
    reader.get("password2", str, None)
    reader.done()
    if (actions is None) == (access is None):
        raise EndpointsError(f"{where}: give exactly one of `actions` (SPEC 3.1 action strings) or `access` "
                             f"({', '.join(ACCESS_SHORTHANDS)}: on every repository of the connected registry)")
    if access is not None:
        if access not in ACCESS_SHORTHANDS:
            raise EndpointsError(f"{where}.access: {access!r} is not one of {', '.join(ACCESS_SHORTHANDS)}")
        rules = tuple((repo, act) for repo in repositories for act in ACCESS_SHORTHANDS[access])
    else:
        rules = _rules_from_actions(actions, f"{where}.actions")
    return ClientToken(name, password, rules)


def _connected_registry(value: Any, where: str) -> ConnectedRegistry:
    reader = _Reader(value, where, ("name", "url", "mode", "parent", "repositories", "clientTokens", "syncToken"))
    name = reader.get("name", str)
    where = f"{where} ({name})"
    reader.where = where
    if not _CR_NAME.match(name):
        raise EndpointsError(f"{where}.name: 5 to 40 letters and digits, starting with a letter (SPEC 2.1)")
    url = _url(reader.get("url", str, what="where its clients reach it"), f"{where}.url")
    mode = reader.get("mode", str, "ReadWrite")
    mode = LEGACY_MODES.get(mode, mode)
    if mode not in MODES:
        raise EndpointsError(f"{where}.mode: {mode!r} is not ReadWrite or ReadOnly")
    parent = reader.get("parent", str, "cloud").lower()
    repositories = reader.get("repositories", list, what="the names or prefix/* patterns it syncs")
    if not repositories or not all(isinstance(r, str) and r for r in repositories):
        raise EndpointsError(f"{where}.repositories: a non-empty list of names or `prefix/*` patterns")
    repositories = tuple(r.lower() for r in repositories)
    tokens_value = reader.get("clientTokens", list, [])
    tokens = tuple(_client_token(t, f"{where}.clientTokens[{i}]", repositories) for i, t in enumerate(tokens_value))
    sync_value = reader.get("syncToken", dict, None)
    sync = _credentials(sync_value, f"{where}.syncToken", "name") if sync_value is not None else None
    reader.done()
    return ConnectedRegistry(name.lower(), url, mode, parent, repositories, tokens, sync)


def _cloud(value: Any) -> Cloud:
    reader = _Reader(value, "cloud", ("url", "dataEndpoint", "admin", "token", "scratchRepository"))
    url = _url(reader.get("url", str, what="the login server: OCI API, token endpoint, management API"), "cloud.url")
    data_endpoint = reader.get("dataEndpoint", str, None)
    if data_endpoint is not None:
        data_endpoint = _url(data_endpoint, "cloud.dataEndpoint")
    admin_value = reader.get("admin", dict, None)
    token_value = reader.get("token", dict, None)
    scratch = reader.get("scratchRepository", str, "conformance")
    reader.done()
    if not re.match(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$", scratch):
        raise EndpointsError(f"cloud.scratchRepository: {scratch!r} is not a repository name (lowercase)")
    return Cloud(url, data_endpoint,
                 _credentials(admin_value, "cloud.admin", "username") if admin_value is not None else None,
                 _credentials(token_value, "cloud.token", "name") if token_value is not None else None,
                 scratch)


def parse_endpoints(document: Any, source: str = "<endpoints>") -> Endpoints:
    reader = _Reader(document, "endpoints", ("name", "cloud", "connectedRegistries", "timeouts", "tlsVerify", "cleanup",
                                             "managementChanges"))
    name = reader.get("name", str, "deployment")
    cloud = _cloud(reader.get("cloud", dict, what="url and credentials of the cloud registry"))
    crs_value = reader.get("connectedRegistries", list, [])
    crs = tuple(_connected_registry(c, f"connectedRegistries[{i}]") for i, c in enumerate(crs_value))
    timeouts_reader = _Reader(reader.get("timeouts", dict, {}), "timeouts", DEFAULT_TIMEOUTS)
    timeouts = Timeouts(**{key: _seconds(timeouts_reader, key, default) for key, default in DEFAULT_TIMEOUTS.items()})
    timeouts_reader.done()
    tls_verify = reader.get("tlsVerify", (bool, str), True)
    cleanup = reader.get("cleanup", bool, True)
    management_changes = reader.get("managementChanges", bool, True)
    reader.done()

    names = [cr.name for cr in crs]
    for i, cr in enumerate(crs):
        if names.count(cr.name) > 1:
            raise EndpointsError(f"connectedRegistries[{i}] ({cr.name}): listed twice")
        if cr.parent != "cloud" and cr.parent not in names:
            raise EndpointsError(f"connectedRegistries[{i}] ({cr.name}).parent: {cr.parent!r} is neither `cloud` nor "
                                 f"a listed connected registry ({', '.join(names) or 'none'})")
    endpoints = Endpoints(name, source, cloud, crs, timeouts, tls_verify, cleanup, management_changes)
    for cr in crs:  # a cycle would make ancestors() loop
        seen = {cr.name}
        node = cr
        while node.parent != "cloud":
            node = endpoints.cr(node.parent)
            if node.name in seen:
                raise EndpointsError(f"connectedRegistries ({cr.name}).parent: the parents form a cycle "
                                     f"({' -> '.join(sorted(seen))})")
            seen.add(node.name)
    return endpoints


def load_endpoints(path: str | Path) -> Endpoints:
    path = Path(path)
    try:
        document = json.loads(path.read_text())
    except OSError as e:
        raise EndpointsError(f"{path}: cannot read: {e.strerror or e}") from None
    except json.JSONDecodeError as e:
        raise EndpointsError(f"{path}: not JSON: {e}") from None
    try:
        return parse_endpoints(document, str(path))
    except EndpointsError as e:
        raise EndpointsError(f"{path}: {e}") from None
