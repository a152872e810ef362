"""A small OCI distribution-spec v1.1 client for integration tests, built on `requests`.

It speaks to a registry the way the conformance suite does (plain requests, no client-side cleverness), so a test reads
as the sequence of HTTP exchanges the spec describes. Content builders (`make_config`, `make_layer`, `make_image`,
`make_index`) return the exact bytes and digests a test needs to push and then compare.

Helpers that push check the spec's success status and raise `AssertionError` with the full exchange otherwise, so a
failing setup step says which request went wrong. Only the standard library and `requests` are used.
"""

from __future__ import annotations

import base64
import dataclasses
import gzip
import hashlib
import io
import json
import random
import re
import tarfile
from typing import Collection, Iterable, Mapping, Sequence
from urllib.parse import urljoin, urlsplit

import requests

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"
OCTET_STREAM = "application/octet-stream"

# The empty JSON descriptor of image-spec ("Guidance for an Empty Descriptor"); its digest is fixed by the spec.
EMPTY_JSON = b"{}"
EMPTY_JSON_DIGEST = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"

# distribution-spec v1.1 "Error Codes" (code-1 .. code-14), plus the two the conformance suite also accepts.
SPEC_ERROR_CODES = frozenset({
    "BLOB_UNKNOWN", "BLOB_UPLOAD_INVALID", "BLOB_UPLOAD_UNKNOWN", "DIGEST_INVALID", "MANIFEST_BLOB_UNKNOWN",
    "MANIFEST_INVALID", "MANIFEST_UNKNOWN", "NAME_INVALID", "NAME_UNKNOWN", "SIZE_INVALID", "UNAUTHORIZED", "DENIED",
    "UNSUPPORTED", "TOOMANYREQUESTS",
    "MANIFEST_UNVERIFIED", "TAG_INVALID",
})

DEFAULT_TIMEOUT = 10.0  # seconds per request: every test stays bounded even against a hung server


# ---------------------------------------------------------------------------------------------------------------------
# Content


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def random_bytes(size: int, seed: int | str) -> bytes:
    """Reproducible pseudo-random bytes: the same seed always gives the same blob (and digest)."""
    return random.Random(seed).randbytes(size)


def encode_json(value: object) -> bytes:
    """Indented JSON, as the conformance suite marshals its manifests; registries must keep these exact bytes."""
    return json.dumps(value, indent="\t").encode()


@dataclasses.dataclass(frozen=True)
class Blob:
    data: bytes
    media_type: str = OCTET_STREAM

    @property
    def digest(self) -> str:
        return digest_of(self.data)

    @property
    def size(self) -> int:
        return len(self.data)

    def as_type(self, media_type: str) -> "Blob":
        return dataclasses.replace(self, media_type=media_type)

    def descriptor(self, **extra: object) -> dict:
        return {"mediaType": self.media_type, "digest": self.digest, "size": self.size, **extra}


@dataclasses.dataclass(frozen=True)
class Manifest:
    """A manifest or index as pushed: exact bytes, its media type and what a registry derives from it."""

    body: bytes
    media_type: str
    blobs: tuple[Blob, ...] = ()            # blobs to push before the manifest
    artifact_type: str | None = None        # what a referrers response must report (spec "Listing Referrers")
    annotations: Mapping[str, str] | None = None
    subject: str | None = None              # digest of the subject, if any

    @property
    def digest(self) -> str:
        return digest_of(self.body)

    @property
    def size(self) -> int:
        return len(self.body)

    def descriptor(self, **extra: object) -> dict:
        return {"mediaType": self.media_type, "digest": self.digest, "size": self.size, **extra}


def make_config(author: str, architecture: str = "amd64", os_name: str = "linux") -> Blob:
    """An image config; a distinct `author` gives a distinct digest (the suite makes one config per workflow so)."""
    config = {"author": author, "architecture": architecture, "os": os_name,
              "rootfs": {"type": "layers", "diff_ids": []}}
    return Blob(encode_json(config), OCI_CONFIG)


def make_layer(files: Mapping[str, bytes]) -> Blob:
    """A gzip-compressed tar layer holding `files`, byte-for-byte reproducible (fixed mtimes, owners and gzip header)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, content in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mtime = 0
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(content))
    return Blob(gzip.compress(raw.getvalue(), mtime=0), OCI_LAYER_GZIP)


def make_image(config: Blob, layers: Sequence[Blob] = (), *, media_type_field: bool = True,
               artifact_type: str | None = None, subject: Manifest | None = None,
               annotations: Mapping[str, str] | None = None, unknown_fields: bool = False) -> Manifest:
    """An OCI image manifest over `config` and `layers` (each descriptor takes the blob's media type).

    `media_type_field=False` leaves out the optional top-level `mediaType`; `unknown_fields=True` adds, as the suite
    does, an embedded `data` copy of the config plus a field image-spec does not define on every descriptor (a
    registry must store and serve such manifests unchanged).
    """
    def desc(blob: Blob, *, is_config: bool = False) -> dict:
        d = blob.descriptor()
        if unknown_fields:
            if is_config:
                d["data"] = base64.b64encode(blob.data).decode()
                d["unspecifiedField"] = base64.b64encode(b"any content").decode()
            else:
                d["unspecifiedField"] = None
        return d

    doc: dict = {"schemaVersion": 2}
    if media_type_field:
        doc["mediaType"] = OCI_MANIFEST
    if artifact_type:
        doc["artifactType"] = artifact_type
    doc["config"] = desc(config, is_config=True)
    doc["layers"] = [desc(layer) for layer in layers]
    if subject is not None:
        doc["subject"] = subject.descriptor(**({"unspecifiedField": None} if unknown_fields else {}))
    if annotations:
        doc["annotations"] = dict(annotations)
    return Manifest(body=encode_json(doc), media_type=OCI_MANIFEST, blobs=(config, *layers),
                    artifact_type=artifact_type or config.media_type,
                    annotations=dict(annotations) if annotations else None,
                    subject=subject.digest if subject is not None else None)


def make_index(manifests: Sequence[Manifest], *, artifact_type: str | None = None, subject: Manifest | None = None,
               annotations: Mapping[str, str] | None = None) -> Manifest:
    """An OCI image index listing `manifests` (which must be pushed before it)."""
    doc: dict = {"schemaVersion": 2, "mediaType": OCI_INDEX}
    if artifact_type:
        doc["artifactType"] = artifact_type
    doc["manifests"] = [m.descriptor() for m in manifests]
    if subject is not None:
        doc["subject"] = subject.descriptor()
    if annotations:
        doc["annotations"] = dict(annotations)
    return Manifest(body=encode_json(doc), media_type=OCI_INDEX, artifact_type=artifact_type,
                    annotations=dict(annotations) if annotations else None,
                    subject=subject.digest if subject is not None else None)


# ---------------------------------------------------------------------------------------------------------------------
# Responses


def describe(resp: requests.Response) -> str:
    """One exchange, for assertion messages: request line, status, the headers that matter and the body's start."""
    req = resp.request
    interesting = ("Location", "Range", "Content-Type", "Content-Length", "Docker-Content-Digest", "OCI-Subject",
                   "OCI-Filters-Applied", "Link", "OCI-Chunk-Min-Length")
    headers = ", ".join(f"{h}: {resp.headers[h]}" for h in interesting if h in resp.headers)
    body = resp.content[:600].decode("utf-8", "replace") if resp.request.method != "HEAD" else ""
    return f"{req.method} {req.url} -> {resp.status_code} [{headers}] {body!r}"


def expect_status(resp: requests.Response, *statuses: int) -> requests.Response:
    if resp.status_code not in statuses:
        raise AssertionError(f"expected status {' or '.join(map(str, statuses))}: {describe(resp)}")
    return resp


def location_path(resp: requests.Response) -> str:
    """The Location header as path[?query], whether the registry sent it absolute or relative (the suite's
    GetRelativeLocation)."""
    location = resp.headers.get("Location")
    if not location:
        raise AssertionError(f"no Location header: {describe(resp)}")
    parts = urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def error_body(resp: requests.Response) -> list[dict]:
    """The `errors` array of an OCI error body, checking its shape: {"errors": [{"code", "message", ...}, ...]}."""
    content_type = resp.headers.get("Content-Type", "")
    assert content_type.split(";")[0].strip() == "application/json", \
        f"error body is not application/json: {describe(resp)}"
    try:
        body = resp.json()
    except ValueError as e:
        raise AssertionError(f"error body is not JSON ({e}): {describe(resp)}") from None
    assert isinstance(body, dict) and isinstance(body.get("errors"), list) and body["errors"], \
        f"error body lacks a non-empty 'errors' array: {describe(resp)}"
    for entry in body["errors"]:
        assert isinstance(entry, dict), f"error entry is not an object: {describe(resp)}"
        code = entry.get("code")
        assert isinstance(code, str) and re.fullmatch(r"[A-Z_]+", code), f"bad error code {code!r}: {describe(resp)}"
        assert code in SPEC_ERROR_CODES, f"error code {code!r} is not one of the spec's: {describe(resp)}"
        assert isinstance(entry.get("message"), str), f"error entry lacks a string 'message': {describe(resp)}"
    return body["errors"]


def assert_oci_error(resp: requests.Response, status: int | Collection[int], *codes: str) -> list[dict]:
    """Checks the status, the error body's shape and, when `codes` are given, that the first error has one of them."""
    statuses = (status,) if isinstance(status, int) else tuple(status)
    expect_status(resp, *statuses)
    errors = error_body(resp)
    if codes:
        assert errors[0]["code"] in codes, f"expected error code {' or '.join(codes)}: {describe(resp)}"
    return errors


def link_next(resp: requests.Response) -> str | None:
    """The target of an RFC 5988 `Link: <url>; rel="next"` header, or None."""
    header = resp.headers.get("Link")
    if not header:
        return None
    for part in header.split(","):
        match = re.fullmatch(r'\s*<([^>]*)>\s*;(.*)', part)
        if match and re.search(r'(^|;)\s*rel\s*=\s*"?next"?\s*(;|$)', match.group(2)):
            return match.group(1)
    return None


# ---------------------------------------------------------------------------------------------------------------------
# Client


class OciClient:
    """Anonymous HTTP against one registry. Paths are relative to the registry root ("/v2/..."), or any Location the
    registry returned (absolute or relative)."""

    def __init__(self, base_url: str, timeout: float = DEFAULT_TIMEOUT):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> "OciClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url(self, path_or_location: str) -> str:
        return urljoin(self.base_url + "/", path_or_location)

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        kwargs.setdefault("allow_redirects", False)
        return self.session.request(method, self.url(path), **kwargs)

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def head(self, path: str, **kwargs) -> requests.Response:
        return self.request("HEAD", path, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    # --- blobs ---------------------------------------------------------------------------------------------------

    def start_upload(self, repo: str, **params: str) -> requests.Response:
        """POST /v2/<repo>/blobs/uploads/ with an empty body (end-4a, or end-11 with mount/from params)."""
        return self.post(f"/v2/{repo}/blobs/uploads/", params=params or None, data=b"",
                         headers={"Content-Length": "0"})

    def push_blob(self, repo: str, blob: Blob) -> requests.Response:
        """POST then PUT (spec "POST then PUT"); returns the 201 response of the PUT."""
        start = expect_status(self.start_upload(repo), 202)
        return expect_status(self.put(location_path(start), params={"digest": blob.digest}, data=blob.data,
                                      headers={"Content-Type": OCTET_STREAM}), 201)

    def push_blob_monolithic(self, repo: str, blob: Blob) -> requests.Response:
        """Single POST with `?digest=` and the whole body (spec "Single POST", end-4b); returns the response as is."""
        return self.post(f"/v2/{repo}/blobs/uploads/", params={"digest": blob.digest}, data=blob.data,
                         headers={"Content-Type": OCTET_STREAM})

    def push_blob_chunked(self, repo: str, blob: Blob, chunk_size: int) -> requests.Response:
        """POST, one PATCH with Content-Range per chunk, closing PUT with the digest; returns the PUT's 201."""
        resp = expect_status(self.start_upload(repo), 202)
        for start in range(0, blob.size, chunk_size):
            chunk = blob.data[start:start + chunk_size]
            resp = expect_status(self.patch(location_path(resp), data=chunk, headers={
                "Content-Type": OCTET_STREAM, "Content-Range": f"{start}-{start + len(chunk) - 1}"}), 202)
        return expect_status(self.put(location_path(resp), params={"digest": blob.digest}, data=b""), 201)

    def get_blob(self, repo: str, digest: str, **kwargs) -> requests.Response:
        return self.get(f"/v2/{repo}/blobs/{digest}", **kwargs)

    # --- manifests -----------------------------------------------------------------------------------------------

    def put_manifest(self, repo: str, reference: str, manifest: Manifest,
                     content_type: str | None = None) -> requests.Response:
        """PUT /v2/<repo>/manifests/<reference> (end-7) with the manifest's exact bytes; returns the response as is."""
        return self.put(f"/v2/{repo}/manifests/{reference}", data=manifest.body,
                        headers={"Content-Type": content_type or manifest.media_type})

    def push_manifest(self, repo: str, reference: str, manifest: Manifest) -> requests.Response:
        return expect_status(self.put_manifest(repo, reference, manifest), 201)

    def push_image(self, repo: str, manifest: Manifest, reference: str | None = None) -> requests.Response:
        """Pushes the manifest's blobs (each once) and then the manifest, by tag or (default) by digest."""
        seen: set[str] = set()
        for blob in manifest.blobs:
            if blob.digest not in seen:
                seen.add(blob.digest)
                self.push_blob(repo, blob)
        return self.push_manifest(repo, reference or manifest.digest, manifest)

    def get_manifest(self, repo: str, reference: str, accept: Iterable[str] = (OCI_MANIFEST, OCI_INDEX),
                     method: str = "GET") -> requests.Response:
        return self.request(method, f"/v2/{repo}/manifests/{reference}", headers={"Accept": ", ".join(accept)})

    # --- discovery -----------------------------------------------------------------------------------------------

    def list_tags(self, repo: str, **params: str | int) -> requests.Response:
        return self.get(f"/v2/{repo}/tags/list", params={k: str(v) for k, v in params.items()} or None)

    def referrers(self, repo: str, digest: str, artifact_type: str | None = None) -> requests.Response:
        params = {"artifactType": artifact_type} if artifact_type else None
        return self.get(f"/v2/{repo}/referrers/{digest}", params=params)
