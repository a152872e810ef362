"""Images and artifacts the conformance runner pushes: small, unique per call, built from random bytes.

Registries never inspect config or layer bytes (SPEC 6.2), so a layer is random bytes and a config a small JSON
document; every image differs from every other one (a unique label in its config), so a digest seen at a node can
only have come from the push under test.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def canonical(document: dict) -> bytes:
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


@dataclasses.dataclass(frozen=True)
class Image:
    manifest: bytes
    media_type: str
    blobs: dict[str, bytes]  # digest -> bytes (config and layers; empty for an index)

    @property
    def digest(self) -> str:
        return sha256(self.manifest)

    def descriptor(self) -> dict:
        return {"mediaType": self.media_type, "digest": self.digest, "size": len(self.manifest)}


def descriptor(media_type: str, data: bytes) -> dict:
    return {"mediaType": media_type, "digest": sha256(data), "size": len(data)}


def make_image(label: str, layers: int = 1, layer_size: int = 2048, docker: bool = False,
               annotations: dict | None = None) -> Image:
    """An image manifest (OCI, or Docker v2 schema 2 with `docker=True`) with a unique config and random layers."""
    config = canonical({"architecture": "amd64", "os": "linux", "config": {"Labels": {"conformance": label}},
                        "nonce": os.urandom(8).hex(), "rootfs": {"type": "layers", "diff_ids": []}})
    layer_bytes = [os.urandom(layer_size) for _ in range(layers)]
    manifest = {
        "schemaVersion": 2,
        "mediaType": DOCKER_MANIFEST if docker else OCI_MANIFEST,
        "config": descriptor(DOCKER_CONFIG if docker else OCI_CONFIG, config),
        "layers": [descriptor(DOCKER_LAYER if docker else OCI_LAYER, data) for data in layer_bytes],
    }
    if annotations:
        manifest["annotations"] = annotations
    blobs = {sha256(config): config, **{sha256(data): data for data in layer_bytes}}
    return Image(canonical(manifest), manifest["mediaType"], blobs)


def make_referrer(subject: Image, artifact_type: str, label: str) -> Image:
    """An artifact manifest (image-spec 1.1 `artifactType` with the empty config) whose `subject` is `subject`."""
    empty = b"{}"
    payload = f"conformance {label} {os.urandom(8).hex()}".encode()
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": artifact_type,
        "config": descriptor(OCI_EMPTY, empty),
        "layers": [descriptor("application/vnd.conformance.payload", payload)],
        "subject": subject.descriptor(),
        "annotations": {"org.opencontainers.conformance.label": label},
    }
    return Image(canonical(manifest), OCI_MANIFEST, {sha256(empty): empty, sha256(payload): payload})


def make_index(children: list[Image]) -> Image:
    """An image index of images already pushed to the same repository."""
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [{**child.descriptor(), "platform": {"architecture": "amd64", "os": f"linux{i}"}}
                      for i, child in enumerate(children)],
    }
    return Image(canonical(manifest), OCI_INDEX, {})
