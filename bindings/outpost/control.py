"""The cloud's management API (SPEC 7.2, ``/mgmt/v1/``) as the admin user sees it: tokens, scope maps and connected
registries with the API's own verbs. Answers are the API's JSON documents as dicts; refusals raise the typed
errors of :mod:`outpost.errors` (``Invalid`` for 400, ``NotFound``, ``Conflict``, ...).

Passwords are shown once, when a token is created or its credentials generated: the control plane remembers them
in its :class:`PasswordBook`, so ``node.client("my-token")`` needs no password afterwards.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
from typing import Any, Callable, Dict, Iterable, List, Optional

from . import errors
from .transport import Duration, Response, Transport, headers_dict, to_seconds


def camel(name: str) -> str:
    """``client_tokens`` -> ``clientTokens`` (keyword arguments to API field names)."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _fields(values: Dict[str, Any]) -> Dict[str, Any]:
    return {camel(key): value for key, value in values.items() if value is not None}


class PasswordBook:
    """The passwords the harness was shown, per token: ``password1`` and ``password2``."""

    def __init__(self) -> None:
        self._passwords: Dict[str, Dict[str, str]] = {}

    def learn(self, token: str, document: Any) -> None:
        """Remembers every password value in an API answer (``{"passwords": [{"name", "value"}]}``)."""
        if not isinstance(document, dict):
            return
        for entry in document.get("passwords") or []:
            if isinstance(entry, dict) and "value" in entry and entry.get("name") in ("password1", "password2"):
                self._passwords.setdefault(token, {})[entry["name"]] = entry["value"]

    def get(self, token: str, which: str = "password1") -> Optional[str]:
        """A password of a token, or None when never shown."""
        return self._passwords.get(token, {}).get(which)

    def forget(self, token: str) -> None:
        """Forgets a token's passwords (it was deleted)."""
        self._passwords.pop(token, None)


ManagementSend = Callable[[str, str, bytes, float], Response]
"""How a world makes one management call: (method, path below ``/mgmt/v1/`` with its query, JSON body bytes or
b"", timeout in seconds) -> the answer. The simulator's goes through its operator (so its invariant checks mirror the
change); a live cluster's is an HTTP request with the admin's credentials (:meth:`ManagementApi.over_http`)."""


class ManagementApi:
    """Admin calls at the cloud's management API."""

    def __init__(self, send: ManagementSend, *, timeout: Duration = 60) -> None:
        self._send = send
        self._timeout = to_seconds(timeout)

    @classmethod
    def over_http(cls, transport: Transport, authority: str, admin_password: str, *, node: str = "operator",
                  timeout: Duration = 60) -> "ManagementApi":
        """Calls sent as HTTP requests from next to ``node`` to the cloud's login server as the admin user."""
        authorization = "Basic " + base64.b64encode(f"admin:{admin_password}".encode()).decode()

        def send(method: str, path: str, body: bytes, seconds: float) -> Response:
            headers = [("Authorization", authorization)]
            if body:
                headers.append(("Content-Type", "application/json"))
            return transport(node, method, authority, "/mgmt/v1/" + path, headers, body, seconds)

        return cls(send, timeout=timeout)

    def call(self, method: str, path: str, body: Any = None, query: Optional[Dict[str, Any]] = None) -> Any:
        """One management request (``path`` below ``/mgmt/v1/``); the answer's JSON (None when empty). Refusals
        raise the typed errors, transport failures :class:`~outpost.errors.TransportError`."""
        target = path
        if query:
            kept = {key: value for key, value in query.items() if value is not None}
            if kept:
                target += "?" + urllib.parse.urlencode(kept)
        data = json.dumps(body).encode() if body is not None else b""
        response = self._send(method, target, data, self._timeout)
        where = "/mgmt/v1/" + target
        if response.status == 0:
            raise errors.TransportError(response.transport_error, method=method, target=where, node="cloud")
        if response.status >= 300:
            raise errors.from_response(response.status, response.body, headers=headers_dict(response.headers),
                                       method=method, target=where, node="cloud")
        return json.loads(response.body) if response.body else None


def _name(name: str) -> str:
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9._-]+", name):
        raise ValueError(f"{name!r} is not a resource name")
    return name


class ScopeMaps:
    """``/mgmt/v1/scopeMaps``: ``{"name", "description", "actions", "type"}`` (SPEC 3.1-3.2)."""

    def __init__(self, api: ManagementApi) -> None:
        self._api = api

    def list(self) -> List[Dict[str, Any]]:
        """Every scope map, system ones included."""
        return self._api.call("GET", "scopeMaps")

    def show(self, name: str) -> Dict[str, Any]:
        """One scope map by name; NotFound when there is none."""
        return self._api.call("GET", f"scopeMaps/{_name(name)}")

    def create(self, name: str, actions: Iterable[str], description: Optional[str] = None) -> Dict[str, Any]:
        """``PUT`` (creates, or replaces an existing map)."""
        return self._api.call("PUT", f"scopeMaps/{_name(name)}",
                              _fields({"actions": list(actions), "description": description}))

    def update(self, name: str, actions: Optional[Iterable[str]] = None, *, add: Optional[Iterable[str]] = None,
               remove: Optional[Iterable[str]] = None, description: Optional[str] = None) -> Dict[str, Any]:
        """``PATCH``: replace the actions, or add/remove some; changes apply from the next request (SPEC 4.1)."""
        body = _fields({"actions": list(actions) if actions is not None else None,
                        "add_actions": list(add) if add is not None else None,
                        "remove_actions": list(remove) if remove is not None else None,
                        "description": description})
        return self._api.call("PATCH", f"scopeMaps/{_name(name)}", body)

    def delete(self, name: str) -> None:
        """``DELETE scopeMaps/<name>``; a refusal (a system scope map, SPEC 3.2) raises the typed error."""
        self._api.call("DELETE", f"scopeMaps/{_name(name)}")


class Tokens:
    """``/mgmt/v1/tokens``: ``{"name", "scopeMap", "status", "passwords"}`` (SPEC 3.3-3.4)."""

    def __init__(self, api: ManagementApi, scope_maps: ScopeMaps, passwords: PasswordBook) -> None:
        self._api = api
        self._scope_maps = scope_maps
        self._passwords = passwords

    def list(self) -> List[Dict[str, Any]]:
        """Every token, the connected registries' sync tokens included."""
        return self._api.call("GET", "tokens")

    def show(self, name: str) -> Dict[str, Any]:
        """One token by name (without password values: those are shown once only)."""
        return self._api.call("GET", f"tokens/{_name(name)}")

    def create(self, name: str, scope_map: Optional[str] = None, *, actions: Optional[Iterable[str]] = None,
               status: Optional[str] = None, no_passwords: Optional[bool] = None) -> Dict[str, Any]:
        """``PUT tokens/<name>``. With ``actions`` (and no ``scope_map``), first creates the scope map
        ``<name>-map`` holding them, as topologies do. The answer carries the password values once; they are
        remembered for :meth:`Node.client`."""
        if actions is not None:
            if scope_map is not None:
                raise ValueError("give scope_map or actions, not both")
            scope_map = f"{name}-map"
            self._scope_maps.create(scope_map, actions)
        if scope_map is None:
            raise ValueError("a token needs a scope_map (or actions)")
        created = self._api.call("PUT", f"tokens/{_name(name)}",
                                 _fields({"scope_map": scope_map, "status": status, "no_passwords": no_passwords}))
        self._passwords.learn(name, created)
        return created

    def update(self, name: str, *, scope_map: Optional[str] = None, status: Optional[str] = None) -> Dict[str, Any]:
        """``PATCH tokens/<name>``: its scope map and/or status (``enabled``/``disabled``)."""
        return self._api.call("PATCH", f"tokens/{_name(name)}", _fields({"scope_map": scope_map, "status": status}))

    def disable(self, name: str) -> Dict[str, Any]:
        """``update(name, status="disabled")``: the token is refused from then on."""
        return self.update(name, status="disabled")

    def enable(self, name: str) -> Dict[str, Any]:
        """``update(name, status="enabled")``."""
        return self.update(name, status="enabled")

    def delete(self, name: str) -> None:
        """``DELETE tokens/<name>``; its remembered passwords are forgotten."""
        self._api.call("DELETE", f"tokens/{_name(name)}")
        self._passwords.forget(name)

    def generate_credentials(self, name: str, password: Optional[str] = None,
                             expiry: Optional[str] = None) -> Dict[str, Any]:
        """``POST tokens/<name>/generateCredentials``: a new ``password1`` or ``password2`` (None: both), with an
        optional RFC 3339 expiry; remembered for :meth:`Node.client`."""
        answer = self._api.call("POST", f"tokens/{_name(name)}/generateCredentials",
                                _fields({"name": password, "expiry": expiry}))
        self._passwords.learn(name, answer)
        return answer

    def password(self, name: str, which: str = "password1") -> Optional[str]:
        """The password last shown for a token (None when the harness never saw it)."""
        return self._passwords.get(name, which)


class ConnectedRegistries:
    """``/mgmt/v1/connectedRegistries``: the fields of SPEC 2.1, and the actions of 2.10 and 7.2."""

    def __init__(self, api: ManagementApi, passwords: PasswordBook) -> None:
        self._api = api
        self._passwords = passwords

    def list(self, *, parent: Optional[str] = None, mode: Optional[str] = None,
             connection_state: Optional[str] = None) -> List[Dict[str, Any]]:
        """Every connected registry, filtered by ``parent``, ``mode`` or ``connection_state``."""
        return self._api.call("GET", "connectedRegistries",
                              query={"parent": parent, "mode": mode, "connectionState": connection_state})

    def show(self, name: str) -> Dict[str, Any]:
        """One connected registry by name: its fields (SPEC 2.1) and the status it reported (SPEC 5.3); once that
        report is older than the cloud's limit, ``connectionState`` is ``Offline`` with a ``StatusOverdue`` entry in
        ``statusDetails`` (docs/connected-registries.md, "Status, readiness and metrics")."""
        return self._api.call("GET", f"connectedRegistries/{_name(name)}")

    def create(self, name: str, *, mode: str = "ReadWrite", parent: Optional[str] = None,
               repositories: Iterable[str] = (), client_tokens: Iterable[str] = (), **settings: Any) -> Dict[str, Any]:
        """``PUT connectedRegistries/<name>``: the resource with its ``syncToken`` and ``connectionString``.
        Other fields (``sync``, ``notifications``, ``logging``, ``gc``) go as given (snake_case names become
        camelCase). The resource exists at the cloud; starting a node for it is the world's business."""
        body: Dict[str, Any] = {"mode": mode, "parent": parent, "repositories": list(repositories),
                                "clientTokens": list(client_tokens)}
        body.update(_fields(settings))
        created = self._api.call("PUT", f"connectedRegistries/{_name(name)}", body)
        sync_token = created.get("syncToken") if isinstance(created, dict) else None
        if isinstance(sync_token, dict) and "name" in sync_token:
            self._passwords.learn(sync_token["name"], sync_token)
        return created

    def update(self, name: str, **fields: Any) -> Dict[str, Any]:
        """``PATCH connectedRegistries/<name>`` with the fields given (``client_tokens=[...]``, ``sync={...}``)."""
        return self._api.call("PATCH", f"connectedRegistries/{_name(name)}", _fields(fields))

    def delete(self, name: str, *, cleanup: bool = False) -> None:
        """``DELETE``; with ``cleanup`` its sync token and scope map go too (SPEC 2.10)."""
        self._api.call("DELETE", f"connectedRegistries/{_name(name)}", query={"cleanup": "true" if cleanup else None})

    def deactivate(self, name: str) -> Dict[str, Any]:
        """``POST .../deactivate``: another instance may activate the registry afterwards (SPEC 2.7)."""
        return self._api.call("POST", f"connectedRegistries/{_name(name)}/deactivate")

    def resync(self, name: str) -> Dict[str, Any]:
        """``POST .../resync``: at its next open window the registry compares its content and configuration with
        its parent's and repairs every difference (SPEC 2.11)."""
        return self._api.call("POST", f"connectedRegistries/{_name(name)}/resync")

    def permissions(self, name: str, *, add: Iterable[str] = (), remove: Iterable[str] = ()) -> Dict[str, Any]:
        """``POST .../permissions``: repositories added to and removed from its scope (SPEC 2.5)."""
        return self._api.call("POST", f"connectedRegistries/{_name(name)}/permissions",
                              {"add": list(add), "remove": list(remove)})

    def connection_string(self, name: str, password: str = "password1") -> Dict[str, Any]:
        """``POST .../connectionString``: regenerates that password of its sync token; the new string. The new
        password is shown once: remembered (``tokens.password(sync_token, password)``)."""
        answer = self._api.call("POST", f"connectedRegistries/{_name(name)}/connectionString", {"password": password})
        sync_token = answer.get("syncToken") if isinstance(answer, dict) else None
        if isinstance(sync_token, dict) and isinstance(sync_token.get("name"), str):
            self._passwords.learn(sync_token["name"], sync_token)
        return answer

    def notifications(self, name: str) -> List[Dict[str, Any]]:
        """``GET .../notifications``: the events the registry reported that match its ``notifications`` patterns
        (SPEC 5.3)."""
        return self._api.call("GET", f"connectedRegistries/{_name(name)}/notifications")
