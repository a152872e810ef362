"""What the registry's storage promises, seen from a client: blob isolation between repositories, large chunked
uploads and ranged downloads, the OCI error answers (each one leaving stored content as it was), persistence across a
restart, survival of a SIGKILL in the middle of an upload, and offline garbage collection.

Requests are plain `requests` calls so that every header and status is visible. Section numbers (SPEC x.y) refer to the
project's behaviour specification; "distribution-spec" is OCI distribution-spec v1.1.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from urllib.parse import urlencode, urlsplit

import pytest
import requests

from oci_client import assert_oci_error, expect_status
from oci_layout import (
    OCI_INDEX,
    OCI_MANIFEST,
    Image,
    ImageIndex,
    OciLayout,
    PseudoRandomBytes,
    canonical_json,
    sha256_bytes,
)

MiB = 1024 * 1024
CHUNK = 8 * MiB
MAX_MANIFEST = 4 * MiB  # SPEC 6.2
HTTP_TIMEOUT = 120  # seconds, for any one request
PROCESS_TIMEOUT = 300  # seconds, for `outpost gc`
THREAD_DEADLINE = 120  # seconds a test waits on its own helper thread before failing


# ---------------------------------------------------------------------------------------------------------------------
# HTTP helpers


def v2(registry, path: str) -> str:
    return f"{registry.url}/v2/{path}"


def absolute(registry, location: str) -> str:
    """An upload Location (absolute or relative) against the registry's current address: after a restart the server
    may listen on another port than the one it handed the location out on."""
    parts = urlsplit(location)
    return registry.url + parts.path + (f"?{parts.query}" if parts.query else "")


def with_query(url: str, **params: str) -> str:
    return url + ("&" if "?" in url else "?") + urlencode(params)


def assert_error(response: requests.Response, status: int, *codes: str) -> None:
    """The status and, for answers with a body, the distribution-spec error JSON (its first code one of `codes`)."""
    if response.request.method == "HEAD":
        expect_status(response, status)
    else:
        assert_oci_error(response, status, *codes)


def start_upload(registry, repository: str) -> str:
    response = expect_status(requests.post(v2(registry, f"{repository}/blobs/uploads/"), timeout=HTTP_TIMEOUT), 202)
    return absolute(registry, response.headers["Location"])


def push_blob(registry, repository: str, data: bytes) -> str:
    digest = sha256_bytes(data)
    response = requests.put(with_query(start_upload(registry, repository), digest=digest), data=data,
                            headers={"Content-Type": "application/octet-stream"}, timeout=HTTP_TIMEOUT)
    expect_status(response, 201)
    return digest


def push_blob_file(registry, repository: str, path: Path, digest: str) -> None:
    with open(path, "rb") as body:  # streamed from the file by requests
        response = requests.put(with_query(start_upload(registry, repository), digest=digest), data=body,
                                headers={"Content-Type": "application/octet-stream"}, timeout=HTTP_TIMEOUT)
    expect_status(response, 201)


def put_manifest(registry, repository: str, reference: str, body: bytes,
                 media_type: str = OCI_MANIFEST) -> requests.Response:
    return requests.put(v2(registry, f"{repository}/manifests/{reference}"), data=body,
                        headers={"Content-Type": media_type}, timeout=HTTP_TIMEOUT)


def push_image(registry, repository: str, layout: OciLayout, image: Image, tag: str | None = None) -> None:
    for digest in image.blob_digests:
        push_blob_file(registry, repository, layout.blob_path(digest), digest)
    response = put_manifest(registry, repository, tag or image.manifest.digest, image.manifest_bytes)
    expect_status(response, 201)
    assert response.headers.get("Docker-Content-Digest") == image.manifest.digest


def push_index(registry, repository: str, layout: OciLayout, index: ImageIndex, tag: str) -> None:
    for image in index.images:
        push_image(registry, repository, layout, image)
    response = put_manifest(registry, repository, tag, index.index_bytes, OCI_INDEX)
    expect_status(response, 201)
    assert response.headers.get("Docker-Content-Digest") == index.index.digest


def blob_sha256(registry, repository: str, digest: str) -> str:
    """Streams a blob and returns the digest of what was served (or raises on a non-200)."""
    with requests.get(v2(registry, f"{repository}/blobs/{digest}"), stream=True, timeout=HTTP_TIMEOUT) as response:
        expect_status(response, 200)
        hasher = hashlib.sha256()
        for piece in response.iter_content(MiB):
            hasher.update(piece)
    return "sha256:" + hasher.hexdigest()


@dataclass(frozen=True)
class Snapshot:
    """What a client sees of some content: manifests by each reference, blob digests as served, the tag list."""
    manifests: dict
    blobs: dict
    tags: tuple


def snapshot(registry, repository: str, references: list[str], blob_digests: list[str]) -> Snapshot:
    manifests = {}
    for reference in references:
        response = requests.get(v2(registry, f"{repository}/manifests/{reference}"),
                                headers={"Accept": f"{OCI_MANIFEST}, {OCI_INDEX}"}, timeout=HTTP_TIMEOUT)
        manifests[reference] = (response.status_code, response.content, response.headers.get("Docker-Content-Digest"))
    blobs = {digest: blob_sha256(registry, repository, digest) for digest in blob_digests}
    response = requests.get(v2(registry, f"{repository}/tags/list"), timeout=HTTP_TIMEOUT)
    expect_status(response, 200)
    return Snapshot(manifests, blobs, tuple(response.json().get("tags") or ()))


# ---------------------------------------------------------------------------------------------------------------------
# Disk helpers


_HEX = re.compile(r"[0-9a-f]+")
_ALGORITHMS = {"sha256": 64, "sha512": 128}


def digest_named_by(path: Path, blobs_root: Path) -> str | None:
    """The digest a blob file's path names (`.../<algorithm>/.../<hex>` or `<algorithm>:<hex>`), or None."""
    name = path.name
    if ":" in name:
        algorithm, _, hex_part = name.partition(":")
    else:
        hex_part = name
        parents = [p.name for p in path.relative_to(blobs_root).parents]
        algorithm = next((p for p in parents if p in _ALGORITHMS), None)
        if algorithm is None:
            algorithm = next((a for a, n in _ALGORITHMS.items() if n == len(hex_part)), None)
    if algorithm not in _ALGORITHMS or len(hex_part) != _ALGORITHMS[algorithm] or not _HEX.fullmatch(hex_part):
        return None
    return f"{algorithm}:{hex_part}"


def file_digest(path: Path, algorithm: str) -> str:
    hasher = hashlib.new(algorithm)
    with open(path, "rb") as f:
        while piece := f.read(MiB):
            hasher.update(piece)
    return f"{algorithm}:{hasher.hexdigest()}"


def verified_blob_files(data_dir: Path) -> set[str]:
    """Checks that every file under <data>/blobs is named by a digest and holds exactly that content (so no partial
    blob is ever visible); returns the digests found."""
    root = Path(data_dir) / "blobs"
    assert root.is_dir(), f"{root} does not exist"
    found = set()
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        digest = digest_named_by(path, root)
        assert digest is not None, f"{path} under blobs/ is not named by a digest"
        assert file_digest(path, digest.partition(":")[0]) == digest, f"{path} does not hash to its name"
        found.add(digest)
    return found


# ---------------------------------------------------------------------------------------------------------------------
# Known content: pushed before a test pokes at the registry, compared after


@dataclass
class KnownContent:
    repository: str
    layout: OciLayout
    image: Image
    tags: tuple
    before: Snapshot

    def references(self) -> list[str]:
        return list(self.tags) + [self.image.manifest.digest]

    def current(self, registry) -> Snapshot:
        return snapshot(registry, self.repository, self.references(), self.image.blob_digests)

    def assert_unchanged(self, registry) -> None:
        now = self.current(registry)
        assert now == self.before, "the registry's existing content changed"
        for reference in self.references():
            status, body, digest = now.manifests[reference]
            assert (status, body, digest) == (200, self.image.manifest_bytes, self.image.manifest.digest)
        assert all(served == digest for digest, served in now.blobs.items())


def push_known(registry, tmp_path: Path, repository: str = "known/app") -> KnownContent:
    layout = OciLayout(tmp_path / "known-layout")
    image = layout.add_image([64 * 1024, MiB + 3, 10], compression="gzip", seed=f"known-{repository}")
    tags = ("stable", "v1")
    for tag in tags:
        push_image(registry, repository, layout, image, tag)
    known = KnownContent(repository, layout, image, tags, Snapshot({}, {}, ()))
    known.before = known.current(registry)
    assert known.before.tags == tags
    known.assert_unchanged(registry)
    return known


@pytest.fixture
def known(registry, tmp_path) -> KnownContent:
    return push_known(registry, tmp_path)


def manifest_for(config: str, config_size: int, layers: list[tuple[str, int]], **extra) -> bytes:
    return canonical_json({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": config_size},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": s}
                   for d, s in layers],
        **extra,
    })


def random_digest() -> str:
    return sha256_bytes(uuid.uuid4().bytes)


# ---------------------------------------------------------------------------------------------------------------------
# Blob isolation (SPEC 3.6)


def test_blob_is_invisible_through_a_repository_that_never_referenced_it(registry):
    secret = os.urandom(4096)
    digest = push_blob(registry, "iso/a", secret)
    # iso/b exists (it holds another blob), so "unknown blob" is the only right answer there, not "unknown name".
    other = push_blob(registry, "iso/b", os.urandom(100))

    for method in ("GET", "HEAD"):
        response = requests.request(method, v2(registry, f"iso/b/blobs/{digest}"), timeout=HTTP_TIMEOUT)
        assert_error(response, 404, "BLOB_UNKNOWN")
    ranged = requests.get(v2(registry, f"iso/b/blobs/{digest}"), headers={"Range": "bytes=0-9"}, timeout=HTTP_TIMEOUT)
    assert_error(ranged, 404, "BLOB_UNKNOWN")

    # Mounting from a repository that never referenced the blob (iso/c holds something else; iso/nowhere does not
    # exist) must not lend it: the registry falls back to a plain upload session (202 with a Location), as
    # distribution-spec prescribes when it cannot mount.
    push_blob(registry, "iso/c", os.urandom(200))
    for source in ("iso/c", "iso/nowhere"):
        mount = requests.post(v2(registry, f"iso/b/blobs/uploads/?{urlencode({'mount': digest, 'from': source})}"),
                              timeout=HTTP_TIMEOUT)
        expect_status(mount, 202)
        assert mount.headers.get("Location"), "a 202 answer to a mount must name the upload session it started"
        assert_error(requests.get(v2(registry, f"iso/b/blobs/{digest}"), timeout=HTTP_TIMEOUT), 404, "BLOB_UNKNOWN")

    # Nor may a manifest in iso/b claim it.
    manifest = manifest_for(other, 100, [(digest, len(secret))])
    assert_error(put_manifest(registry, "iso/b", "claims-secret", manifest), 400, "MANIFEST_BLOB_UNKNOWN")

    # Controls: the owner reads it, and a mount from the owner works and then makes it readable in iso/b.
    assert blob_sha256(registry, "iso/a", digest) == digest
    mount = requests.post(v2(registry, f"iso/b/blobs/uploads/?{urlencode({'mount': digest, 'from': 'iso/a'})}"),
                          timeout=HTTP_TIMEOUT)
    expect_status(mount, 201)
    assert mount.headers.get("Location")
    assert blob_sha256(registry, "iso/b", digest) == digest


# ---------------------------------------------------------------------------------------------------------------------
# Large blob: chunked upload, ranged download


def test_300_mib_blob_chunked_upload_and_ranged_download(registry):
    size = 300 * MiB + 12345  # the last chunk is short
    content = PseudoRandomBytes(size, seed="large-blob", piece_size=CHUNK)
    url = start_upload(registry, "large/blob")
    hasher = hashlib.sha256()
    offset = 0
    for piece in content.iter_range():  # one 8 MiB chunk in memory at a time
        hasher.update(piece)
        response = requests.patch(url, data=piece, timeout=HTTP_TIMEOUT, headers={
            "Content-Type": "application/octet-stream",
            "Content-Range": f"{offset}-{offset + len(piece) - 1}",
        })
        expect_status(response, 202)
        offset += len(piece)
        assert response.headers.get("Range") == f"0-{offset - 1}"
        url = absolute(registry, response.headers["Location"])
    assert offset == size
    digest = "sha256:" + hasher.hexdigest()

    response = requests.put(with_query(url, digest=digest), timeout=HTTP_TIMEOUT)
    expect_status(response, 201)
    assert response.headers.get("Location")

    head = requests.head(v2(registry, f"large/blob/blobs/{digest}"), timeout=HTTP_TIMEOUT)
    expect_status(head, 200)
    assert int(head.headers["Content-Length"]) == size
    assert head.headers.get("Docker-Content-Digest") == digest

    # Seven pieces of unequal sizes, the last an open-ended range, reassembled by hashing them in order.
    bounds = [0, 1, 4097, CHUNK - 3, CHUNK + 5, 100 * MiB, 299 * MiB + 7, size]
    reassembled = hashlib.sha256()
    for start, end in zip(bounds, bounds[1:]):
        last = end == size
        spec = f"bytes={start}-" if last else f"bytes={start}-{end - 1}"
        with requests.get(v2(registry, f"large/blob/blobs/{digest}"), headers={"Range": spec}, stream=True,
                          timeout=HTTP_TIMEOUT) as response:
            expect_status(response, 206)
            assert response.headers.get("Content-Range") == f"bytes {start}-{end - 1}/{size}", spec
            assert int(response.headers["Content-Length"]) == end - start, spec
            received = 0
            for piece in response.iter_content(MiB):
                reassembled.update(piece)
                received += len(piece)
            assert received == end - start, spec
    assert "sha256:" + reassembled.hexdigest() == digest


# ---------------------------------------------------------------------------------------------------------------------
# Error paths: the spec's status and code, and nothing stored changes


def _bad_digest_on_blob_get(registry, known):
    for bad in ("sha256:not-hex-at-all", "sha256:" + "a" * 63):
        assert_error(requests.get(v2(registry, f"{known.repository}/blobs/{bad}"), timeout=HTTP_TIMEOUT),
                     400, "DIGEST_INVALID")


def _bad_digest_on_upload_put(registry, known):
    for bad in ("sha256:zzzz", "sha256:" + "a" * 65, "nodigest"):
        url = start_upload(registry, known.repository)
        response = requests.put(with_query(url, digest=bad), data=b"some bytes", timeout=HTTP_TIMEOUT,
                                headers={"Content-Type": "application/octet-stream"})
        assert_error(response, 400, "DIGEST_INVALID")


def _digest_mismatch_on_upload_put(registry, known):
    data = b"the bytes that were sent"
    claimed = sha256_bytes(b"other bytes")
    url = start_upload(registry, known.repository)
    response = requests.put(with_query(url, digest=claimed), data=data, timeout=HTTP_TIMEOUT,
                            headers={"Content-Type": "application/octet-stream"})
    assert_error(response, 400, "DIGEST_INVALID")
    # Monolithic POST with a wrong digest: same answer.
    response = requests.post(v2(registry, f"{known.repository}/blobs/uploads/?{urlencode({'digest': claimed})}"),
                             data=data, timeout=HTTP_TIMEOUT, headers={"Content-Type": "application/octet-stream"})
    assert_error(response, 400, "DIGEST_INVALID")
    # Neither the claimed digest nor the real one became a blob.
    for digest in (claimed, sha256_bytes(data)):
        expect_status(requests.head(v2(registry, f"{known.repository}/blobs/{digest}"), timeout=HTTP_TIMEOUT), 404)


def _bad_repository_name(registry, known):
    for name in ("Known/App", "known/-app", "known/app_", "known/a..b", ""):  # "": /v2//blobs/uploads/
        assert_error(requests.post(v2(registry, f"{name}/blobs/uploads/"), timeout=HTTP_TIMEOUT), 400, "NAME_INVALID")
        assert_error(put_manifest(registry, name, "v1", known.image.manifest_bytes), 400, "NAME_INVALID")


def _bad_tag(registry, known):
    # distribution-spec v1.1, "Pulling manifests": "<reference> as a tag MUST be at most 128 characters in length and
    # MUST match [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}". The spec names no code for a push that breaks this; its error
    # table offers TAG_INVALID (code-10, "manifest tag did not match URI") and MANIFEST_INVALID (code-6, "manifest
    # invalid"), both client errors. SPEC 6.2 asks for "the spec's error code", so either is accepted, with 400.
    for tag in ("-leading-dash", ".leading-dot", "t" * 129, "bad+tag"):
        assert_error(put_manifest(registry, known.repository, tag, known.image.manifest_bytes), 400,
                     "TAG_INVALID", "MANIFEST_INVALID")


def _unknown_blob(registry, known):
    digest = random_digest()
    assert_error(requests.get(v2(registry, f"{known.repository}/blobs/{digest}"), timeout=HTTP_TIMEOUT),
                 404, "BLOB_UNKNOWN")
    assert_error(requests.head(v2(registry, f"{known.repository}/blobs/{digest}"), timeout=HTTP_TIMEOUT), 404)


def _unknown_manifest(registry, known):
    for reference in ("no-such-tag", random_digest()):
        url = v2(registry, f"{known.repository}/manifests/{reference}")
        assert_error(requests.get(url, headers={"Accept": OCI_MANIFEST}, timeout=HTTP_TIMEOUT), 404,
                     "MANIFEST_UNKNOWN")
        assert_error(requests.head(url, headers={"Accept": OCI_MANIFEST}, timeout=HTTP_TIMEOUT), 404)


def _unknown_upload(registry, known):
    url = v2(registry, f"{known.repository}/blobs/uploads/{uuid.uuid4()}")
    assert_error(requests.get(url, timeout=HTTP_TIMEOUT), 404, "BLOB_UPLOAD_UNKNOWN")
    assert_error(requests.patch(url, data=b"x", headers={"Content-Range": "0-0",
                                                         "Content-Type": "application/octet-stream"},
                                timeout=HTTP_TIMEOUT), 404, "BLOB_UPLOAD_UNKNOWN")
    assert_error(requests.put(with_query(url, digest=sha256_bytes(b"x")), data=b"x", timeout=HTTP_TIMEOUT,
                              headers={"Content-Type": "application/octet-stream"}), 404, "BLOB_UPLOAD_UNKNOWN")
    assert_error(requests.delete(url, timeout=HTTP_TIMEOUT), 404, "BLOB_UPLOAD_UNKNOWN")


def _upload_of_another_repository(registry, known):
    # An upload session belongs to the repository that started it; its id does not work under another name.
    location = start_upload(registry, known.repository)
    own_prefix = f"/v2/{known.repository}/blobs/uploads/"
    path = urlsplit(location).path
    if not path.startswith(own_prefix):
        pytest.skip(f"upload location {path} is not under {own_prefix}; cannot forge another repository's path")
    foreign = registry.url + path.replace(own_prefix, "/v2/known/elsewhere/blobs/uploads/", 1)
    assert_error(requests.get(foreign, timeout=HTTP_TIMEOUT), 404, "BLOB_UPLOAD_UNKNOWN")
    assert_error(requests.put(with_query(foreign, digest=sha256_bytes(b"y")), data=b"y", timeout=HTTP_TIMEOUT,
                              headers={"Content-Type": "application/octet-stream"}), 404, "BLOB_UPLOAD_UNKNOWN")
    expect_status(requests.head(v2(registry, f"known/elsewhere/blobs/{sha256_bytes(b'y')}"), timeout=HTTP_TIMEOUT),
                  404)


def _manifest_with_missing_blob(registry, known):
    image = known.image
    present_layers = [(layer.descriptor.digest, layer.descriptor.size) for layer in image.layers]
    missing_layer = manifest_for(image.config.digest, image.config.size, present_layers + [(random_digest(), 10)])
    missing_config = manifest_for(random_digest(), 20, present_layers)
    for body in (missing_layer, missing_config):
        assert_error(put_manifest(registry, known.repository, "v1", body), 400, "MANIFEST_BLOB_UNKNOWN")
        assert_error(put_manifest(registry, known.repository, sha256_bytes(body), body), 400, "MANIFEST_BLOB_UNKNOWN")
    # An index naming a manifest the repository does not hold (distribution-spec: "manifest references a manifest or
    # blob unknown to registry").
    index = canonical_json({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {"mediaType": OCI_MANIFEST, "digest": random_digest(), "size": 500,
         "platform": {"architecture": "amd64", "os": "linux"}}]})
    assert_error(put_manifest(registry, known.repository, "v1", index, OCI_INDEX), 400, "MANIFEST_BLOB_UNKNOWN")


def padded_manifest(known: KnownContent, total_size: int) -> bytes:
    """A valid manifest of the known image, padded with an annotation to exactly `total_size` bytes."""
    image = known.image
    layers = [(layer.descriptor.digest, layer.descriptor.size) for layer in image.layers]
    base = len(manifest_for(image.config.digest, image.config.size, layers, annotations={"pad": ""}))
    body = manifest_for(image.config.digest, image.config.size, layers, annotations={"pad": "p" * (total_size - base)})
    assert len(body) == total_size
    return body


def _oversize_manifest(registry, known):
    body = padded_manifest(known, MAX_MANIFEST + 1)
    assert_error(put_manifest(registry, known.repository, "v1", body), 413, "MANIFEST_INVALID")  # SPEC 6.2
    assert_error(put_manifest(registry, known.repository, "huge", body), 413, "MANIFEST_INVALID")
    digest_url = v2(registry, f"{known.repository}/manifests/{sha256_bytes(body)}")
    expect_status(requests.head(digest_url, headers={"Accept": OCI_MANIFEST}, timeout=HTTP_TIMEOUT), 404)


def _deeply_nested_manifest(registry, known):
    # A wrongly typed field nested 100,000 levels deep once overflowed the server's stack while the refusal was
    # written. The server answers, briefly, and goes on serving (assert_unchanged reads everything back).
    image = known.image
    layers = [(layer.descriptor.digest, layer.descriptor.size) for layer in image.layers]
    base = manifest_for(image.config.digest, image.config.size, layers)
    for field in ("annotations", "schemaVersion", "subject"):
        body = base[:-1] + b',"' + field.encode() + b'":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
        response = put_manifest(registry, known.repository, "deep", body)
        assert_error(response, 400, "MANIFEST_INVALID")
        assert len(response.content) < 1000, response.content[:200]


def _manifest_with_a_nul_byte(registry, known):
    # The JSON parser ends its input at a NUL byte: a manifest followed by one and anything at all was stored (201)
    # and served back as bytes no client could parse. Refused by tag and by digest, and nothing is stored.
    image = known.image
    layers = [(layer.descriptor.digest, layer.descriptor.size) for layer in image.layers]
    body = manifest_for(image.config.digest, image.config.size, layers) + b"\x00garbage"
    for reference in ("nul", sha256_bytes(body)):
        assert_error(put_manifest(registry, known.repository, reference, body), 400, "MANIFEST_INVALID")
    for reference in ("nul", sha256_bytes(body)):
        url = v2(registry, f"{known.repository}/manifests/{reference}")
        expect_status(requests.head(url, headers={"Accept": OCI_MANIFEST}, timeout=HTTP_TIMEOUT), 404)


def _out_of_order_chunk(registry, known):
    data = os.urandom(3072)
    url = start_upload(registry, known.repository)
    first = requests.patch(url, data=data[:1024], timeout=HTTP_TIMEOUT,
                           headers={"Content-Range": "0-1023", "Content-Type": "application/octet-stream"})
    expect_status(first, 202)
    assert first.headers.get("Range") == "0-1023"
    url = absolute(registry, first.headers["Location"])
    for bad_range, chunk in (("2048-3071", data[2048:]), ("0-1023", data[:1024]), ("512-1535", data[512:1536])):
        response = requests.patch(url, data=chunk, timeout=HTTP_TIMEOUT,
                                  headers={"Content-Range": bad_range, "Content-Type": "application/octet-stream"})
        assert_error(response, 416)
    # A range of 2^64 bytes with an empty body: its length once wrapped to 0 and the chunk was taken (202).
    response = requests.patch(url, data=b"", timeout=HTTP_TIMEOUT,
                              headers={"Content-Range": "0-18446744073709551615",
                                       "Content-Type": "application/octet-stream"})
    assert_error(response, 400, "BLOB_UPLOAD_INVALID", "SIZE_INVALID")
    # The session is intact: its status still ends at byte 1023 and it completes normally.
    status = requests.get(url, timeout=HTTP_TIMEOUT)
    expect_status(status, 204)
    assert status.headers.get("Range") == "0-1023"
    url = absolute(registry, status.headers.get("Location", url))
    second = requests.patch(url, data=data[1024:], timeout=HTTP_TIMEOUT,
                            headers={"Content-Range": "1024-3071", "Content-Type": "application/octet-stream"})
    expect_status(second, 202)
    assert second.headers.get("Range") == "0-3071"
    url = absolute(registry, second.headers["Location"])
    done = requests.put(with_query(url, digest=sha256_bytes(data)), timeout=HTTP_TIMEOUT)
    expect_status(done, 201)
    assert blob_sha256(registry, known.repository, sha256_bytes(data)) == sha256_bytes(data)


ERROR_CASES: dict[str, Callable] = {
    "bad-digest-blob-get": _bad_digest_on_blob_get,
    "bad-digest-upload-put": _bad_digest_on_upload_put,
    "digest-mismatch": _digest_mismatch_on_upload_put,
    "bad-repository-name": _bad_repository_name,
    "bad-tag": _bad_tag,
    "unknown-blob": _unknown_blob,
    "unknown-manifest": _unknown_manifest,
    "unknown-upload": _unknown_upload,
    "upload-of-another-repository": _upload_of_another_repository,
    "manifest-missing-blob": _manifest_with_missing_blob,
    "oversize-manifest": _oversize_manifest,
    "deeply-nested-manifest": _deeply_nested_manifest,
    "manifest-with-a-nul-byte": _manifest_with_a_nul_byte,
    "out-of-order-chunk": _out_of_order_chunk,
}


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_error_answers_leave_content_unchanged(registry, known, case):
    ERROR_CASES[case](registry, known)
    known.assert_unchanged(registry)


def test_manifest_of_exactly_4_mib_is_accepted(registry, known):
    body = padded_manifest(known, MAX_MANIFEST)
    response = put_manifest(registry, known.repository, "four-mib", body)
    expect_status(response, 201)
    served = requests.get(v2(registry, f"{known.repository}/manifests/four-mib"), headers={"Accept": OCI_MANIFEST},
                          timeout=HTTP_TIMEOUT)
    expect_status(served, 200)
    assert served.content == body


# ---------------------------------------------------------------------------------------------------------------------
# Persistence and crashes


def test_content_survives_a_graceful_restart(registry, tmp_path):
    layout = OciLayout(tmp_path / "layout")
    image = layout.add_image([200 * 1024, 10, MiB], seed="persist-image")
    index = layout.add_index([4096, 50 * 1024], seed="persist-index")
    push_image(registry, "persist/app", layout, image, "v1")
    push_image(registry, "persist/app", layout, image, "latest")
    push_index(registry, "persist/app", layout, index, "multi")

    references = ["v1", "latest", "multi", image.manifest.digest, index.index.digest] + [
        child.manifest.digest for child in index.images]
    blobs = image.blob_digests + [d for child in index.images for d in child.blob_digests]
    before = snapshot(registry, "persist/app", references, blobs)
    assert all(status == 200 for status, _, _ in before.manifests.values())
    assert before.tags == ("latest", "multi", "v1")

    assert registry.stop() == 0, "SIGTERM should end the server cleanly"
    registry.start()

    assert snapshot(registry, "persist/app", references, blobs) == before
    # And it still takes writes.
    more = layout.add_image([1000], seed="persist-after")
    push_image(registry, "persist/app", layout, more, "after")


class PausingBody:
    """A request body that stops after `pause_at` bytes until released, so a test can kill the server while the
    request is in flight without guessing at timing. requests sends it with a Content-Length (from __len__) and
    http.client pulls it through read()."""

    def __init__(self, data: bytes, pause_at: int):
        self._data = data
        self._position = 0
        self._pause_at = pause_at
        self.paused = threading.Event()
        self.release = threading.Event()

    def __len__(self) -> int:
        return len(self._data)

    def __iter__(self):
        while piece := self.read(64 * 1024):
            yield piece

    def read(self, size: int = -1) -> bytes:
        if self._position == self._pause_at and not self.release.is_set():
            self.paused.set()
            self.release.wait(timeout=THREAD_DEADLINE)
        end = len(self._data) if size is None or size < 0 else min(len(self._data), self._position + size)
        if self._position < self._pause_at:
            end = min(end, self._pause_at)
        piece = self._data[self._position:end]
        self._position = end
        return piece


def parse_range(header: str | None) -> int:
    """Bytes held by an upload session from its `Range: 0-<last>` header. "0-0" is read as an empty session (what
    distribution answers for one); a session here is never exactly one byte long."""
    assert header is not None and re.fullmatch(r"0-\d+", header), f"bad Range header {header!r}"
    last = int(header.split("-")[1])
    return 0 if last == 0 else last + 1


def test_sigkill_during_chunked_upload_loses_nothing_committed(registry, tmp_path):
    known = push_known(registry, tmp_path)
    size = 200 * MiB + 777
    content = PseudoRandomBytes(size, seed="crash-upload", piece_size=CHUNK)
    acknowledged_chunks = 5
    url = start_upload(registry, "crash/upload")
    offset = 0
    for piece in content.iter_range(0, acknowledged_chunks * CHUNK):
        response = requests.patch(url, data=piece, timeout=HTTP_TIMEOUT, headers={
            "Content-Range": f"{offset}-{offset + len(piece) - 1}", "Content-Type": "application/octet-stream"})
        expect_status(response, 202)
        offset += len(piece)
        url = absolute(registry, response.headers["Location"])
    assert offset == acknowledged_chunks * CHUNK

    # The next chunk goes out in a thread and stops 3 MiB in; the server is killed while it waits for the rest.
    in_flight = PausingBody(content.read_range(offset, offset + CHUNK), pause_at=3 * MiB)
    outcome: dict = {}

    def send() -> None:
        try:
            outcome["response"] = requests.patch(url, data=in_flight, timeout=HTTP_TIMEOUT, headers={
                "Content-Range": f"{offset}-{offset + CHUNK - 1}", "Content-Type": "application/octet-stream"})
        except requests.RequestException as error:
            outcome["error"] = error

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    try:
        assert in_flight.paused.wait(timeout=THREAD_DEADLINE), "the in-flight PATCH never reached its pause point"
        registry.kill()
    finally:
        in_flight.release.set()
        sender.join(timeout=THREAD_DEADLINE)
    assert not sender.is_alive(), "the in-flight PATCH did not end after the server was killed"
    assert "response" not in outcome or outcome["response"].status_code != 202, \
        "the server acknowledged a chunk it never fully received"

    registry.start()
    url = absolute(registry, url)  # the server listens on a new port now

    # Nothing committed before the crash was lost or damaged, and no blob file is partial.
    known.assert_unchanged(registry)
    verified_blob_files(registry.data_dir)
    expect_status(requests.head(v2(registry, f"crash/upload/blobs/{content.digest}"), timeout=HTTP_TIMEOUT), 404)

    # The interrupted session is either resumable from what it holds, or cleanly gone.
    status = requests.get(url, timeout=HTTP_TIMEOUT)
    if status.status_code == 404:
        assert_error(status, 404, "BLOB_UPLOAD_UNKNOWN")
        return
    expect_status(status, 204)
    held = parse_range(status.headers.get("Range"))
    assert held <= offset + 3 * MiB, f"the session claims {held} bytes; only {offset + 3 * MiB} were ever sent"
    url = absolute(registry, status.headers.get("Location", url))
    position = held
    for piece in content.iter_range(held, size):
        response = requests.patch(url, data=piece, timeout=HTTP_TIMEOUT, headers={
            "Content-Range": f"{position}-{position + len(piece) - 1}", "Content-Type": "application/octet-stream"})
        expect_status(response, 202)
        position += len(piece)
        url = absolute(registry, response.headers["Location"])
    done = requests.put(with_query(url, digest=content.digest), timeout=HTTP_TIMEOUT)
    expect_status(done, 201)
    assert blob_sha256(registry, "crash/upload", content.digest) == content.digest
    assert content.digest in verified_blob_files(registry.data_dir)
    known.assert_unchanged(registry)


# ---------------------------------------------------------------------------------------------------------------------
# Garbage collection


def outpost_bin() -> str:
    binary = os.environ.get("OUTPOST_BIN")
    if not binary:
        pytest.fail("OUTPOST_BIN is not set")
    return os.path.abspath(binary)


def parse_gc_report(stdout: str) -> dict:
    """The JSON report `outpost gc` prints on stdout (an object with "removed"; log lines around it are tolerated)."""
    decoder = json.JSONDecoder()
    for start in [m.start() for m in re.finditer(r"^\s*\{", stdout, flags=re.M)]:
        try:
            report, _ = decoder.raw_decode(stdout[start:].lstrip())
        except ValueError:
            continue
        if isinstance(report, dict) and "removed" in report:
            return report
    raise AssertionError(f"no JSON report in gc output: {stdout[:1000]!r}")


def test_gc_removes_exactly_what_only_the_deleted_image_referenced(registry, tmp_path):
    layout = OciLayout(tmp_path / "layout")
    shared = layout.add_layer(300 * 1024, seed="gc-shared")
    doomed = layout.add_image([shared, 70 * 1024, 10], seed="gc-doomed")
    kept = layout.add_image([shared, 90 * 1024], seed="gc-kept")
    push_image(registry, "gc/app", layout, doomed, "old")
    push_image(registry, "gc/app", layout, kept, "new")

    response = requests.delete(v2(registry, f"gc/app/manifests/{doomed.manifest.digest}"), timeout=HTTP_TIMEOUT)
    expect_status(response, 202)
    for reference in ("old", doomed.manifest.digest):
        assert_error(requests.get(v2(registry, f"gc/app/manifests/{reference}"), headers={"Accept": OCI_MANIFEST},
                                  timeout=HTTP_TIMEOUT), 404, "MANIFEST_UNKNOWN")
    kept_references = ["new", kept.manifest.digest]
    before = snapshot(registry, "gc/app", kept_references, kept.blob_digests)

    registry.stop()
    # A grace that is not a plain number of seconds is a usage error, before anything is removed: "-3600" ran as 0.
    for flag, value in (("--grace", "-3600"), ("--grace", "nan"), ("--upload-grace", "-1"), ("--grace", "0x10")):
        refused = subprocess.run([outpost_bin(), "gc", "--data", str(registry.data_dir), f"{flag}={value}"],
                                 capture_output=True, text=True, timeout=PROCESS_TIMEOUT)
        assert refused.returncode == 2 and "is not a number of seconds" in refused.stderr, (flag, value, refused.stderr)
    result = subprocess.run([outpost_bin(), "gc", "--data", str(registry.data_dir), "--grace", "0"],
                            capture_output=True, text=True, timeout=PROCESS_TIMEOUT)
    assert result.returncode == 0, f"gc exited {result.returncode}: {result.stderr[-2000:]}"
    report = parse_gc_report(result.stdout)
    assert report["reserveHeld"] is True, report
    # a disk with room: gc lends the reserve to its deletes and takes it back without a warning
    assert '"level":"warn"' not in result.stderr.replace(" ", ""), result.stderr[-2000:]

    sizes = {d: layout.blob_path(d).stat().st_size for d in doomed.digests + kept.digests}
    expected_removed = set(doomed.digests) - set(kept.digests)  # its own layers, its config, its manifest
    assert shared.descriptor.digest not in expected_removed
    assert len(expected_removed) == 4
    removed = {entry["digest"]: entry["size"] for entry in report["removed"]}
    assert len(removed) == len(report["removed"]), "a digest is reported twice"
    assert set(removed) == expected_removed
    assert all(removed[d] == sizes[d] for d in removed), report
    assert report["bytesFreed"] == sum(sizes[d] for d in expected_removed)
    assert report["blobsKept"] == len(set(kept.digests))
    assert verified_blob_files(registry.data_dir) == set(kept.digests)

    registry.start()
    assert snapshot(registry, "gc/app", kept_references, kept.blob_digests) == before
    for digest in expected_removed - {doomed.manifest.digest}:
        assert_error(requests.get(v2(registry, f"gc/app/blobs/{digest}"), timeout=HTTP_TIMEOUT), 404, "BLOB_UNKNOWN")
