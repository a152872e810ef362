"""An OCI Distribution client (SPEC 6) over a :class:`~outpost.transport.Transport`: push, pull (verifying every
digest), tags, catalog, deletes, with HTTP Basic credentials. Refusals raise the typed errors of
:mod:`outpost.errors` with the registry's code and message; the same client works in both worlds.
"""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from . import errors
from .transport import Duration, Response, Transport, headers_dict, to_seconds


def _name(repository: str) -> str:
    """A repository as a path: what a URL cannot hold (a space, "?", "#") percent-encoded, so both worlds get the
    same request and refuse a bad name alike (the live client refused to send it at all)."""
    if not isinstance(repository, str):  # push(5, "v1") once made a repository "5"
        raise ValueError(f"a repository is a name (str), not {type(repository).__name__}: {repository!r}")
    return urllib.parse.quote(repository, safe="/")


def _ref(reference: str) -> str:
    """A tag or digest as a path segment (a digest's ":" kept)."""
    if not isinstance(reference, str):
        raise ValueError(f"a tag or digest is a str, not {type(reference).__name__}: {reference!r}")
    return urllib.parse.quote(reference, safe=":")

MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_MEDIA_TYPE = "application/vnd.oci.image.config.v1+json"
LAYER_MEDIA_TYPE = "application/vnd.oci.image.layer.v1.tar"
ACCEPT_MANIFESTS = ", ".join([
    "application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json"])

ImageSpec = Union[None, Mapping[str, Any]]
"""What to push: None (one small layer), or ``{"layers": [bytes or a size in bytes, ...], "config": bytes or a
dict (optional), "annotations": {...} (optional)}``. Sizes become deterministic bytes drawn from the repository,
tag and position, so the same script pushes the same digests every time."""

DEFAULT_LAYER_SIZE = 1024


def digest_of(data: bytes) -> str:
    """``sha256:<hex>`` of bytes."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class Image:
    """An image as pushed or pulled: its manifest (bytes as on the wire) and digest, config and layers."""

    repository: str
    reference: str
    digest: str
    manifest: bytes
    config: bytes = b""
    layers: List[bytes] = field(default_factory=list)
    media_type: str = MANIFEST_MEDIA_TYPE

    @property
    def size(self) -> int:
        """Bytes of config and layers."""
        return len(self.config) + sum(len(layer) for layer in self.layers)

    @property
    def manifest_json(self) -> Dict[str, Any]:
        """The manifest parsed."""
        return json.loads(self.manifest)


_LAYER_BLOCK = 64 * 1024


def _layer_bytes(seed_text: str, size: int) -> bytes:
    """Deterministic bytes for a layer: a 64 KiB block drawn from the seed text (SHAKE-256), repeated. Unique per seed,
    and a copy per byte instead of a draw: drawing every byte was most of the Python time of a short scenario."""
    if size < 0:
        raise ValueError(f"a layer size must not be negative: {size}")
    block = hashlib.shake_256(seed_text.encode()).digest(min(size, _LAYER_BLOCK))
    if size <= len(block):
        return block
    return (block * (size // len(block) + 1))[:size]


def build_image(repository: str, tag: str, image: ImageSpec = None) -> Image:
    """The blobs and manifest of an image to push (see :data:`ImageSpec`)."""
    spec: Mapping[str, Any] = image if image is not None else {"layers": [DEFAULT_LAYER_SIZE]}
    unknown = set(spec) - {"layers", "config", "annotations"}
    if unknown:
        raise ValueError(f"image: unknown keys {sorted(unknown)} (layers, config, annotations)")
    layers: List[bytes] = []
    for index, layer in enumerate(spec.get("layers", [])):
        if isinstance(layer, (bytes, bytearray, memoryview)):
            layers.append(bytes(layer))
        elif isinstance(layer, int) and not isinstance(layer, bool):
            layers.append(_layer_bytes(f"{repository}:{tag}:{index}:{layer}", layer))
        else:
            raise ValueError(f"image: layers[{index}] must be bytes or a size in bytes, not {type(layer).__name__}")
    layer_digests = [digest_of(layer) for layer in layers]  # once each: hashing is most of an image's Python time
    config_spec = spec.get("config")
    if config_spec is None:
        config = json.dumps({"architecture": "amd64", "os": "linux", "outpost": f"{repository}:{tag}",
                             "rootfs": {"type": "layers", "diff_ids": layer_digests}},
                            sort_keys=True).encode()
    elif isinstance(config_spec, (bytes, bytearray)):
        config = bytes(config_spec)
    elif isinstance(config_spec, dict):
        config = json.dumps(config_spec, sort_keys=True).encode()
    else:
        raise ValueError("image: config must be bytes or a dict")
    manifest_doc: Dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_MEDIA_TYPE,
        "config": {"mediaType": CONFIG_MEDIA_TYPE, "digest": digest_of(config), "size": len(config)},
        "layers": [{"mediaType": LAYER_MEDIA_TYPE, "digest": digest, "size": len(layer)}
                   for layer, digest in zip(layers, layer_digests)],
    }
    if spec.get("annotations"):
        manifest_doc["annotations"] = dict(spec["annotations"])
    manifest = json.dumps(manifest_doc, sort_keys=True, separators=(",", ":")).encode()
    return Image(repository, tag, digest_of(manifest), manifest, config, layers)


class ClientObserver:
    """Told of what a client changed, so a cluster can check later that pushes reached the cloud."""

    def pushed(self, node: str, image: "Image") -> None: ...

    def deleted(self, node: str, repository: str, reference: str) -> None: ...


class Client:
    """The OCI API of one node as one user: ``username``/``password`` sent as HTTP Basic on every request.

    Every call raises :class:`~outpost.errors.RegistryError` subclasses for refusals (with the registry's code,
    message and status) and :class:`~outpost.errors.TransportError` when no answer came. ``node``, ``authority``
    and ``username`` say where it sends and as whom (``username`` None: anonymous). ``node.client(...)`` makes one.
    """

    def __init__(self, transport: Transport, node: str, authority: str, username: Optional[str],
                 password: Optional[str], *, timeout: Duration = 60,
                 observer: Optional[ClientObserver] = None) -> None:
        self.node = node
        self.authority = authority
        self.username = username
        self._password = password
        self._transport = transport
        self._timeout = to_seconds(timeout)
        self._observer = observer

    def __repr__(self) -> str:
        return f"<outpost.Client {self.username or 'anonymous'}@{self.node}>"

    # --- raw ---
    def request(self, method: str, target: str, body: bytes = b"",
                headers: Optional[Sequence[Tuple[str, str]]] = None) -> Response:
        """One request with this client's credentials; the answer as it came (no error raised). TypeError for a
        ``body`` that is not bytes (``str.encode()`` it) or headers that are not (name, value) strings."""
        # Checked here, before the credentials join the headers: a wrong type reaching the engine was refused with
        # every argument printed, the Authorization header (the password, in base64) among them.
        if not isinstance(method, str) or not isinstance(target, str):
            raise TypeError("request(): method and target are strings")
        if isinstance(body, (bytearray, memoryview)):
            body = bytes(body)
        if not isinstance(body, bytes):
            raise TypeError(f"request(): body is bytes, not {type(body).__name__} (encode text first)")
        sent = list(headers or [])
        for header in sent:
            if not (isinstance(header, tuple) and len(header) == 2 and all(isinstance(part, str) for part in header)):
                raise TypeError("request(): headers are (name, value) pairs of strings")
        if self.username is not None:
            token = base64.b64encode(f"{self.username}:{self._password or ''}".encode()).decode()
            sent.append(("Authorization", f"Basic {token}"))
        return self._transport(self.node, method, self.authority, target, sent, body, self._timeout)

    def _call(self, method: str, target: str, body: bytes = b"", headers: Optional[Sequence[Tuple[str, str]]] = None,
              expect: Sequence[int] = (200,)) -> Response:
        response = self.request(method, target, body, headers)
        if response.status == 0:
            raise errors.TransportError(response.transport_error, method=method, target=target, node=self.node)
        if response.status not in expect:
            raise errors.from_response(response.status, response.body, headers=headers_dict(response.headers),
                                       method=method, target=target, node=self.node)
        return response

    # --- reads ---
    def ping(self) -> None:
        """``GET /v2/``: raises unless these credentials are accepted here."""
        self._call("GET", "/v2/")

    def catalog(self) -> List[str]:
        """Every repository these credentials may list (``/v2/_catalog``, all pages)."""
        return self._paged("/v2/_catalog", "repositories")

    def tags(self, repository: str) -> List[str]:
        """The repository's tags (all pages). NotFound (``NAME_UNKNOWN``) for a repository the node lacks."""
        return self._paged(f"/v2/{_name(repository)}/tags/list", "tags")

    def _paged(self, path: str, key: str) -> List[str]:
        names: List[str] = []
        last = ""
        while True:
            target = f"{path}?n=1000" + (f"&last={urllib.parse.quote(last, safe='')}" if last else "")
            page = json.loads(self._call("GET", target).body or b"{}").get(key) or []
            names.extend(page)
            if len(page) < 1000:
                return names
            last = page[-1]

    def has(self, repository: str, reference: str) -> bool:
        """True when the manifest (by tag or digest) is there (HEAD 200), False on 404; other refusals raise."""
        response = self.request("HEAD", f"/v2/{_name(repository)}/manifests/{_ref(reference)}",
                                headers=[("Accept", ACCEPT_MANIFESTS)])
        if response.status == 200:
            return True
        if response.status == 404:
            return False
        if response.status == 0:
            raise errors.TransportError(response.transport_error, method="HEAD",
                                        target=f"/v2/{_name(repository)}/manifests/{_ref(reference)}", node=self.node)
        # HEAD answers have no body: the status alone chooses the error.
        raise errors.from_response(response.status, b"", headers=headers_dict(response.headers), method="HEAD",
                                   target=f"/v2/{_name(repository)}/manifests/{_ref(reference)}", node=self.node)

    def digest(self, repository: str, reference: str) -> str:
        """The manifest's digest (``Docker-Content-Digest`` of a HEAD)."""
        response = self._call("HEAD", f"/v2/{_name(repository)}/manifests/{_ref(reference)}",
                              headers=[("Accept", ACCEPT_MANIFESTS)])
        return response.header("Docker-Content-Digest") or ""

    def manifest(self, repository: str, reference: str) -> Tuple[bytes, str, str]:
        """The manifest by tag or digest: (bytes, media type, digest); the digest is verified."""
        response = self._call("GET", f"/v2/{_name(repository)}/manifests/{_ref(reference)}",
                              headers=[("Accept", ACCEPT_MANIFESTS)])
        digest = digest_of(response.body)
        if reference.startswith("sha256:") and reference != digest:
            raise errors.DigestMismatch(f"manifest {repository}@{reference} at {self.node} hashes to {digest}")
        return response.body, response.header("Content-Type") or "", digest

    def blob(self, repository: str, digest: str) -> bytes:
        """A blob's bytes, verified against its digest."""
        body = self._call("GET", f"/v2/{_name(repository)}/blobs/{_ref(digest)}").body
        if digest_of(body) != digest:
            raise errors.DigestMismatch(f"blob {repository}@{digest} at {self.node} hashes to {digest_of(body)}")
        return body

    def pull(self, repository: str, reference: str) -> Image:
        """The manifest, then its config and every layer, each verified against its digest."""
        manifest, media_type, digest = self.manifest(repository, reference)
        document = json.loads(manifest)
        config = self.blob(repository, document["config"]["digest"]) if "config" in document else b""
        layers = [self.blob(repository, layer["digest"]) for layer in document.get("layers", [])]
        return Image(repository, reference, digest, manifest, config, layers, media_type or MANIFEST_MEDIA_TYPE)

    # --- writes ---
    def push_blob(self, repository: str, data: bytes, digest: Optional[str] = None) -> str:
        """A monolithic upload (``POST .../blobs/uploads/?digest=``); the digest (``digest``: already known, not
        computed again; the registry checks it either way)."""
        digest = digest or digest_of(data)
        self._call("POST", f"/v2/{_name(repository)}/blobs/uploads/?digest={_ref(digest)}", data,
                   [("Content-Type", "application/octet-stream")], expect=(201,))
        return digest

    def push_manifest(self, repository: str, reference: str, manifest: bytes,
                      media_type: str = MANIFEST_MEDIA_TYPE) -> str:
        """``PUT .../manifests/<reference>``; the digest the registry answered."""
        response = self._call("PUT", f"/v2/{_name(repository)}/manifests/{_ref(reference)}", manifest,
                              [("Content-Type", media_type)], expect=(201,))
        return response.header("Docker-Content-Digest") or digest_of(manifest)

    def push(self, repository: str, tag: str, image: ImageSpec = None) -> Image:
        """Uploads the config and layers, then the manifest tagged ``tag`` (see :data:`ImageSpec`); the image
        pushed, acknowledged by the registry (201)."""
        built = build_image(repository, tag, image)
        document = built.manifest_json
        digests = [document["config"]["digest"], *(layer["digest"] for layer in document["layers"])]
        for blob, digest in zip([built.config, *built.layers], digests):
            self.push_blob(repository, blob, digest)
        built.digest = self.push_manifest(repository, tag, built.manifest)
        if self._observer is not None:
            self._observer.pushed(self.node, built)
        return built

    def delete(self, repository: str, reference: str) -> None:
        """Deletes a manifest by digest, or untags a tag (``DELETE .../manifests/<reference>``)."""
        self._call("DELETE", f"/v2/{_name(repository)}/manifests/{_ref(reference)}", expect=(202, 200, 204))
        if self._observer is not None:
            self._observer.deleted(self.node, repository, reference)
