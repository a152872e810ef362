"""Plain HTTP/1.1 exchanges over real sockets for a live cluster: one connection per exchange, the Host header as
the caller names it (so a node started with ``--login-server`` accepts a request sent straight to the address it
listens on), and the fault proxy's control API (docs/fault-proxy.md, "HTTP API")."""

from __future__ import annotations

import http.client
import json
from typing import Any, List, Optional, Tuple

from .transport import Response


def exchange(address: str, method: str, host: str, target: str, headers: List[Tuple[str, str]], body: bytes,
             timeout: float) -> Response:
    """One request to ``address`` (``"127.0.0.1:5000"``) with ``Host: host``; the answer, or status 0 and the
    reason when none came (refused, reset, timed out). Never raises for those."""
    name, _, port = address.rpartition(":")
    connection = http.client.HTTPConnection(name, int(port), timeout=timeout)
    try:
        connection.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", host)
        for key, value in headers:
            connection.putheader(key, value)
        if body or method in ("POST", "PUT", "PATCH"):
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body if body else None)
        answer = connection.getresponse()
        data = answer.read()
        return Response(answer.status, list(answer.getheaders()), data)
    except (OSError, http.client.HTTPException) as failure:
        return Response(0, [], b"", f"{type(failure).__name__}: {failure}" if str(failure) else type(failure).__name__)
    finally:
        connection.close()


class ProxyError(Exception):
    """The fault proxy refused a call (``status``, the proxy's message)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"fault proxy: {status} {message}")
        self.status = status
        self.message = message


class ProxyApi:
    """The control API of one ``outpost proxy serve``: links (toxiproxy's "proxies") and their toxics."""

    def __init__(self, address: str, timeout: float = 10.0) -> None:
        self.address = address
        self.timeout = timeout

    def call(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else b""
        headers = [("Content-Type", "application/json")] if body is not None else []
        answer = exchange(self.address, method, self.address, path, headers, data, self.timeout)
        if answer.status == 0:
            raise ProxyError(0, f"no answer from {self.address}: {answer.transport_error}")
        if answer.status >= 300:
            message = answer.body.decode("utf-8", "replace")
            try:
                message = json.loads(message).get("error", message)
            except (ValueError, AttributeError):
                pass
            raise ProxyError(answer.status, message)
        return json.loads(answer.body) if answer.body else None

    def set_enabled(self, link: str, enabled: bool) -> None:
        self.call("POST", f"/proxies/{link}", {"enabled": enabled})

    def set_bandwidth(self, link: str, upstream: Optional[int] = None, downstream: Optional[int] = None) -> None:
        """The link's own bandwidth, bytes/s per stream (0: unlimited; None: unchanged), shared by every connection
        of the link (a ``bandwidth`` toxic caps each connection instead)."""
        rates = {stream: int(rate) for stream, rate in (("upstream", upstream), ("downstream", downstream))
                 if rate is not None}
        if rates:
            self.call("POST", f"/proxies/{link}", {"bandwidth": rates})

    def add_toxic(self, link: str, toxic: dict) -> None:
        """Adds a toxic, replacing one of the same name (as a second toxic of a name does in the simulator)."""
        try:
            self.call("POST", f"/proxies/{link}/toxics", toxic)
        except ProxyError as refused:
            if refused.status != 409:
                raise
            self.call("DELETE", f"/proxies/{link}/toxics/{toxic['name']}")
            self.call("POST", f"/proxies/{link}/toxics", toxic)

    def remove_toxic(self, link: str, name: str) -> bool:
        try:
            self.call("DELETE", f"/proxies/{link}/toxics/{name}")
            return True
        except ProxyError as refused:
            if refused.status == 404:
                return False
            raise

    def toxics(self, link: str) -> List[dict]:
        return list(self.call("GET", f"/proxies/{link}/toxics") or [])

    def link(self, link: str) -> Optional[dict]:
        return self.call("GET", f"/proxies/{link}")

    def reset(self) -> None:
        self.call("POST", "/reset")
