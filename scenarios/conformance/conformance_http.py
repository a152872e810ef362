"""HTTP for the conformance runner: one client per (node, credentials), the checks' failure type, bounded waits.

Every failure a check reports is a `ConformanceFailure`: a one-line summary (what was expected, what came back) plus
the exchange that showed it. The suite's conftest turns it into a short JUnit failure message prefixed with the SPEC
clauses of the test, so a CI page says "SPEC 4.2: line1 accepted factory-client (GET /v2/ -> 200), expected 401"
instead of a Python traceback.

Clients ignore the environment (`trust_env = False`): a netrc or proxy variable of the machine running the suite must
never add credentials or hops the endpoints file does not name.
"""

from __future__ import annotations

import base64
import json
import re
import time
import urllib.parse
from typing import Any, Callable, Iterable, TypeVar

import requests

from conformance_endpoints import Credentials, Timeouts

T = TypeVar("T")
BODY_SHOWN = 300  # characters of a response body quoted in a failure


class ConformanceFailure(AssertionError):
    """A SPEC clause does not hold: `summary` is one line, `details` the evidence (requests and answers)."""

    def __init__(self, summary: str, details: str = ""):
        super().__init__(summary if not details else f"{summary}\n{details}")
        self.summary = summary
        self.details = details


def fail(summary: str, *evidence: "requests.Response | str") -> None:
    raise ConformanceFailure(summary, "\n".join(describe(e) if isinstance(e, requests.Response) else str(e)
                                                for e in evidence))


def check(condition: object, summary: str, *evidence: "requests.Response | str") -> None:
    if not condition:
        fail(summary, *evidence)


def describe(response: requests.Response) -> str:
    """`GET http://host/v2/x/tags/list -> 403 DENIED "Insufficient scopes..."`, with the body when it is not an OCI
    error (cut at BODY_SHOWN characters)."""
    request = response.request
    line = f"{request.method} {request.url} -> {response.status_code}"
    codes = error_codes(response)
    if codes:
        messages = "; ".join(f"{e.get('code')} {json.dumps(e.get('message'))}" for e in response.json()["errors"])
        return f"{line} {messages}"
    body = response.content[:BODY_SHOWN].decode("utf-8", errors="replace")
    if body:
        line += f" body: {body!r}{'...' if len(response.content) > BODY_SHOWN else ''}"
    return line


def error_codes(response: requests.Response) -> list[str]:
    """The codes of an OCI error body (`{"errors": [{"code", "message", "detail"?}]}`), [] when it is not one."""
    try:
        document = response.json()
    except ValueError:
        return []
    if not isinstance(document, dict) or not isinstance(document.get("errors"), list):
        return []
    return [e.get("code") for e in document["errors"] if isinstance(e, dict)]


def oci_error_shape_problem(response: requests.Response) -> str | None:
    """None when the body is an OCI error document (distribution-spec "Error Codes"); otherwise what is wrong."""
    try:
        document = response.json()
    except ValueError:
        return "the body is not JSON"
    if not isinstance(document, dict) or not isinstance(document.get("errors"), list) or not document["errors"]:
        return 'the body has no non-empty "errors" list'
    for i, entry in enumerate(document["errors"]):
        if not isinstance(entry, dict):
            return f"errors[{i}] is not an object"
        if not isinstance(entry.get("code"), str) or not re.match(r"^[A-Z_]+$", entry["code"]):
            return f"errors[{i}].code is not an upper-case string"
        if "message" in entry and not isinstance(entry["message"], str):
            return f"errors[{i}].message is not a string"
    return None


def expect_status(response: requests.Response, statuses: int | Iterable[int], what: str) -> requests.Response:
    wanted = (statuses,) if isinstance(statuses, int) else tuple(statuses)
    if response.status_code not in wanted:
        fail(f"{what}: expected {' or '.join(map(str, wanted))}, got {response.status_code}", response)
    return response


def expect_error(response: requests.Response, status: int, codes: str | Iterable[str], what: str,
                 message_contains: str | None = None) -> requests.Response:
    """The answer is `status` with an OCI error body whose first code is one of `codes`."""
    wanted = (codes,) if isinstance(codes, str) else tuple(codes)
    expect_status(response, status, what)
    problem = oci_error_shape_problem(response)
    if problem:
        fail(f"{what}: the {status} answer is not in the OCI error format ({problem})", response)
    found = error_codes(response)
    if found[0] not in wanted:
        fail(f"{what}: expected error code {' or '.join(wanted)}, got {found[0]}", response)
    if message_contains is not None:
        message = response.json()["errors"][0].get("message", "")
        if message_contains.lower() not in message.lower():
            fail(f"{what}: expected the error message to contain {message_contains!r}, got {message!r}", response)
    return response


# --- challenges and tokens -------------------------------------------------------------------------------------------


def parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    """`Bearer realm="...",service="...",scope="..."` -> ("bearer", {realm, service, scope}). Quoted values may
    contain commas (`scope="repository:a:pull,push"`)."""
    scheme, _, rest = header.strip().partition(" ")
    params = {key.lower(): value for key, value in re.findall(r'([A-Za-z_]+)="([^"]*)"', rest)}
    return scheme.lower(), params


def jwt_parts(token: str) -> tuple[dict, dict] | None:
    """The header and payload of a JWT (not verified: the registry that issued it verifies it), None if not a JWT."""
    pieces = token.split(".")
    if len(pieces) != 3:
        return None
    try:
        decoded = [json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4))) for p in pieces[:2]]
    except (ValueError, UnicodeDecodeError):
        return None
    return decoded[0], decoded[1]


# --- the client ------------------------------------------------------------------------------------------------------


class Client:
    """One node as one user sees it: requests to `url` with `credentials`.

    auth="basic": HTTP Basic on every request (SPEC 3.4 accepts it on every endpoint; the checks of Basic answers
    use this). auth="auto": Basic first, and on a 401 Bearer challenge the Docker token flow at the challenge's realm,
    then the request again with the access token (what docker, skopeo and oras do; registries that take Bearer only
    are served too). auth="none": no credentials.
    """

    def __init__(self, node: str, url: str, credentials: Credentials | None, timeouts: Timeouts,
                 verify: bool | str = True, auth: str = "auto"):
        self.node = node
        self.url = url.rstrip("/")
        self.credentials = credentials
        self.timeouts = timeouts
        self.auth = auth if credentials is not None else "none"
        self.http = requests.Session()
        self.http.trust_env = False
        self.http.verify = verify
        self._bearer: dict[str, str] = {}  # challenge scope -> access token

    @property
    def who(self) -> str:
        return self.credentials.username if self.credentials else "no credentials"

    def absolute(self, path_or_url: str) -> str:
        return urllib.parse.urljoin(self.url + "/", path_or_url)

    def raw(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """One request as given (no credentials added unless `auth=`/`headers=` say so)."""
        kwargs.setdefault("timeout", self.timeouts.request)
        kwargs.setdefault("allow_redirects", False)
        try:
            return self.http.request(method, self.absolute(path), **kwargs)
        except requests.RequestException as e:
            raise ConformanceFailure(f"{self.node} at {self.url} did not answer {method} {path}: {no_answer(e)}") \
                from None

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        if self.auth == "none":
            return self.raw(method, path, **kwargs)
        headers = dict(kwargs.pop("headers", None) or {})
        if self.auth == "auto":
            for scope, token in self._bearer.items():
                if scope_covers(scope, method, path):
                    answer = self.raw(method, path, headers={**headers, "Authorization": f"Bearer {token}"}, **kwargs)
                    if answer.status_code != 401:
                        return answer
        answer = self.raw(method, path, headers=headers, auth=self.credentials.auth, **kwargs)
        if self.auth != "auto" or answer.status_code != 401:
            return answer
        scheme, params = parse_challenge(answer.headers.get("WWW-Authenticate", ""))
        if scheme != "bearer" or "realm" not in params:
            return answer
        token = self.fetch_token(params["realm"], params.get("service"), params.get("scope", "").split(" "))
        if token is None:
            return answer
        self._bearer[params.get("scope", "")] = token
        return self.raw(method, path, headers={**headers, "Authorization": f"Bearer {token}"}, **kwargs)

    def fetch_token(self, realm: str, service: str | None, scopes: Iterable[str]) -> str | None:
        query = [("service", service)] if service else []
        query += [("scope", s) for s in scopes if s]
        answer = self.raw("GET", realm, params=query, auth=self.credentials.auth)
        if answer.status_code != 200:
            return None
        try:
            document = answer.json()
        except ValueError:
            return None
        return document.get("token") or document.get("access_token")

    # --- OCI operations (distribution-spec v1.1) -----------------------------------------------------------------

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def manifest(self, repository: str, reference: str, method: str = "GET") -> requests.Response:
        return self.request(method, f"/v2/{repository}/manifests/{reference}", headers={"Accept": MANIFEST_ACCEPT})

    def tags(self, repository: str, **params: Any) -> requests.Response:
        return self.request("GET", f"/v2/{repository}/tags/list", params=params or None)

    def push_blob(self, repository: str, data: bytes, digest: str) -> requests.Response:
        """POST then PUT (the two-step monolithic upload every registry supports); returns the PUT's answer, or the
        POST's when it did not start a session."""
        started = self.request("POST", f"/v2/{repository}/blobs/uploads/")
        if started.status_code != 202 or "Location" not in started.headers:
            return started
        return self.request("PUT", with_query(started.headers["Location"], digest=digest), data=data,
                            headers={"Content-Type": "application/octet-stream"})

    def put_manifest(self, repository: str, reference: str, body: bytes, media_type: str) -> requests.Response:
        return self.request("PUT", f"/v2/{repository}/manifests/{reference}", data=body,
                            headers={"Content-Type": media_type})

    def push_image(self, repository: str, image: "Any", reference: str) -> requests.Response:
        """Pushes the image's blobs (failing the check on any refusal) and its manifest; returns the manifest PUT."""
        for digest, data in image.blobs.items():
            answer = self.push_blob(repository, data, digest)
            expect_status(answer, 201, f"{self.node}: push of blob {digest[:19]} to {repository} as {self.who}")
        return self.put_manifest(repository, reference, image.manifest, image.media_type)

    def delete_manifest(self, repository: str, reference: str) -> requests.Response:
        return self.request("DELETE", f"/v2/{repository}/manifests/{reference}")


_NO_ANSWER_CAUSES = (
    re.compile(r"\[Errno -?\d+\] [^'\")]+"),                                       # refused, unknown name...
    re.compile(r"(?:Connection to \S+|Read) timed out\. \((?:connect|read) timeout=[^)]*\)"),
    re.compile(r"\[SSL[^\]]*\] [^('\"]+"),                                          # TLS
)


def no_answer(error: requests.RequestException) -> str:
    """Why a request got no HTTP answer, without the layers of urllib3 around it: `ConnectionError: [Errno 111]
    Connection refused`, `ConnectTimeout: Connection to host timed out. (connect timeout=10)`; else all of it."""
    text = str(error)
    for cause in _NO_ANSWER_CAUSES:
        found = cause.search(text)
        if found:
            return f"{type(error).__name__}: {found.group(0).strip()}"
    return f"{type(error).__name__}: {text}"


MANIFEST_ACCEPT = ", ".join((
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
))


def with_query(location: str, **params: str) -> str:
    """Adds query parameters to an upload Location that may already carry some."""
    separator = "&" if "?" in location else "?"
    return location + separator + urllib.parse.urlencode(params)


def scope_covers(scope: str, method: str, path: str) -> bool:
    """Whether a cached Bearer token asked for `scope` is worth trying for this request (a cheap guess: the same
    repository; the registry decides)."""
    match = re.match(r"^/v2/(.+?)/(manifests|blobs|tags|referrers)/", path)
    return bool(match) and f"repository:{match.group(1)}:" in scope


# --- waiting ---------------------------------------------------------------------------------------------------------


def wait_until(observe: Callable[[], tuple[bool, T]], timeout: float, poll: float, what: str) -> T:
    """Calls `observe` (-> (done, observation)) until done; a `ConformanceFailure` naming `what`, the deadline and the
    last observation after `timeout` seconds. Polls every `poll` seconds: never waits for time alone."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            done, seen = observe()
        except ConformanceFailure as e:  # a node that does not answer yet may answer later
            done, seen = False, e.summary
        if done:
            return seen
        if time.monotonic() >= deadline:
            shown = describe(seen) if isinstance(seen, requests.Response) else str(seen)
            fail(f"{what}: not observed within {timeout:g} s (timeouts.propagation)", f"last observation: {shown}")
        time.sleep(poll)
