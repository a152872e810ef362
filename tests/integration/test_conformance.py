"""The OCI distribution-spec conformance suite (release v1.1.1, folder conformance/), mirrored in pytest.

Each test mirrors one check ("Specify") of the Go suite and names it in its docstring as
`<file> › <context> › "<title>"`; tests marked "Spec (beyond the suite)" check a requirement of the v1.1 spec text the
suite leaves out, citing the spec section. docs/conformance.md maps every Go check to its test.

The Go suite runs its checks in order against shared state; here every test starts its own server and first replays
the setup the check depends on, so tests are independent and can run alone. Where the suite accepts several answers
because the spec lets registries disable a feature (deletes, mounts, single-POST uploads, filtering), these tests
expect the answer of a registry that has the feature: Outpost implements all of distribution-spec v1.1 (SPEC 6.1).

Test data mirrors the suite's setup.go: one config per workflow (index = workflow: 0-1 pull, 1 push, 2 discovery,
3 management, 4 referrers subject), one gzip layer shared by all manifests, a 42-byte blob pushed whole and another
pushed in two chunks, referrers A/B (artifact type in config.mediaType or in artifactType), an index referrer, and a
referrer C whose subject is never pushed.
"""

from __future__ import annotations

import uuid

import pytest
import requests

from oci_client import (
    EMPTY_JSON, EMPTY_JSON_DIGEST, OCI_EMPTY, OCI_INDEX, OCI_MANIFEST, OCTET_STREAM, Blob, Manifest, OciClient,
    assert_oci_error, describe, digest_of, expect_status, link_next, location_path, make_config, make_image,
    make_index, make_layer, random_bytes,
)

# --- test data (mirrors conformance/setup.go) ------------------------------------------------------------------------

NAME = "conformance/main"                # OCI_NAMESPACE
CROSSMOUNT_NAME = "conformance/mounted"  # OCI_CROSSMOUNT_NAMESPACE
OTHER_NAME = "conformance/elsewhere"     # a third repository, for mounts whose source lacks the blob
TAG = "tagtest0"                         # the suite's testTagName
EMPTY_LAYER_TAG = "emptylayer"
PUSH_TAGS = [f"test{i}" for i in range(4)]
NONEXISTENT_MANIFEST = ".INVALID_MANIFEST_NAME"  # the suite's nonexistentManifest: not a valid tag, yet must be 404
DUMMY_DIGEST = digest_of(b"no blob has this content")

CONFIGS = [make_config(author=f"outpost-conformance-workflow-{i}") for i in range(5)]
LAYER = make_layer({"greeting.txt": b"you found the conformance layer\n"})
MANIFESTS = [make_image(CONFIGS[i], [LAYER], unknown_fields=True) for i in range(5)]
# No top-level mediaType and no layers: both optional in image-spec, and the suite pushes exactly this shape.
EMPTY_LAYER_MANIFEST = make_image(CONFIGS[1], [], media_type_field=False, unknown_fields=True)

BLOB_A = Blob(random_bytes(42, "conformance-blob-a"))
CHUNKED_BLOB_SIZE = 42

EMPTY_BLOB = Blob(EMPTY_JSON, OCI_EMPTY)
ARTIFACT_TYPE_A = "application/vnd.outpost.test.artifact-a"
ARTIFACT_TYPE_B = "application/vnd.outpost.test.artifact-b"
ARTIFACT_TYPE_INDEX = "application/vnd.outpost.test.bundle"
ANNOTATION = "org.outpost.conformance.test"
REF_BLOB_A = Blob(b"referrer payload A: a signature, say")
REF_BLOB_B = Blob(b"referrer payload B: an SBOM, say")

# Referrers of MANIFESTS[4]: artifact type given by config.mediaType (…_CONFIG) or by artifactType (…_LAYER).
REF_A_CONFIG = make_image(REF_BLOB_A.as_type(ARTIFACT_TYPE_A), [EMPTY_BLOB], subject=MANIFESTS[4],
                          annotations={ANNOTATION: "config a"}, unknown_fields=True)
REF_A_LAYER = make_image(EMPTY_BLOB, [REF_BLOB_A.as_type(ARTIFACT_TYPE_A)], artifact_type=ARTIFACT_TYPE_A,
                         subject=MANIFESTS[4], annotations={ANNOTATION: "layer a"}, unknown_fields=True)
REF_B_CONFIG = make_image(REF_BLOB_B.as_type(ARTIFACT_TYPE_B), [EMPTY_BLOB], subject=MANIFESTS[4],
                          annotations={ANNOTATION: "config b"}, unknown_fields=True)
REF_B_LAYER = make_image(EMPTY_BLOB, [REF_BLOB_B.as_type(ARTIFACT_TYPE_B)], artifact_type=ARTIFACT_TYPE_B,
                         subject=MANIFESTS[4], annotations={ANNOTATION: "layer b"}, unknown_fields=True)
REF_INDEX = make_index([REF_A_CONFIG, REF_A_LAYER], artifact_type=ARTIFACT_TYPE_INDEX, subject=MANIFESTS[4],
                       annotations={ANNOTATION: "index"})
# Same as B's layer artifact, but its subject (MANIFESTS[3]) is never pushed in the discovery workflow.
REF_C_LAYER = make_image(EMPTY_BLOB, [REF_BLOB_B.as_type(ARTIFACT_TYPE_B)], artifact_type=ARTIFACT_TYPE_B,
                         subject=MANIFESTS[3], unknown_fields=True)
REFERRERS_OF_4 = [REF_A_CONFIG, REF_A_LAYER, REF_INDEX, REF_B_CONFIG, REF_B_LAYER]

DELETE_OK = 202  # spec "Content Management": every successful delete answers 202 Accepted


@pytest.fixture
def oci(registry) -> OciClient:
    with OciClient(registry.url) as client:
        yield client


# --- shared steps ------------------------------------------------------------------------------------------------------


def assert_digest_header(resp: requests.Response, digest: str) -> None:
    """The suite's check: Docker-Content-Digest is optional (spec "Legacy Docker support HTTP headers"), but when
    present it must name the content."""
    value = resp.headers.get("Docker-Content-Digest")
    if value is not None:
        assert value == digest, f"Docker-Content-Digest {value} != {digest}: {describe(resp)}"


def assert_blob_location(oci: OciClient, resp: requests.Response, repo: str, blob: Blob) -> None:
    """A 201 from a blob upload carries a Location that is a pullable blob URL (spec "Pushing blobs")."""
    path = location_path(resp)
    got = expect_status(oci.get(path), 200)
    assert got.content == blob.data, f"blob at Location {path} differs from what was pushed"
    assert_digest_header(resp, blob.digest)


def push_blobs(oci: OciClient, repo: str, *blobs: Blob) -> None:
    for blob in blobs:
        oci.push_blob(repo, blob)


def setup_pull(oci: OciClient) -> None:
    """01_pull_test.go › Setup: two configs and the layer, manifests[0] by tag and manifests[1] by digest."""
    push_blobs(oci, NAME, CONFIGS[0], CONFIGS[1], LAYER)
    oci.push_manifest(NAME, TAG, MANIFESTS[0])
    oci.push_manifest(NAME, MANIFESTS[1].digest, MANIFESTS[1])


def setup_discovery_tags(oci: OciClient) -> None:
    """03_discovery_test.go › Setup: config[2] and the layer, manifests[2] under tags test0..test3."""
    push_blobs(oci, NAME, CONFIGS[2], LAYER)
    for tag in PUSH_TAGS:
        oci.push_manifest(NAME, tag, MANIFESTS[2])


def setup_references(oci: OciClient) -> dict[str, requests.Response]:
    """03_discovery_test.go › Setup › "References setup", in the suite's order: referrers A and the index are pushed
    before their subject (manifests[4], tagged tagtest0), B after it, and C refers to a subject never pushed.
    Returns the manifest PUT responses of the subject-bearing manifests, by digest."""
    pushed: dict[str, requests.Response] = {}
    push_blobs(oci, NAME, EMPTY_BLOB, REF_BLOB_A)
    for ref in (REF_A_CONFIG, REF_A_LAYER, REF_INDEX):
        pushed[ref.digest] = oci.push_manifest(NAME, ref.digest, ref)
    push_blobs(oci, NAME, CONFIGS[4], LAYER)
    oci.push_manifest(NAME, TAG, MANIFESTS[4])
    push_blobs(oci, NAME, REF_BLOB_B)
    for ref in (REF_B_CONFIG, REF_B_LAYER, REF_C_LAYER):
        pushed[ref.digest] = oci.push_manifest(NAME, ref.digest, ref)
    return pushed


def setup_management(oci: OciClient) -> int:
    """04_management_test.go › Setup: config[3], the layer, manifests[3] under tagtest0; returns the tag count."""
    push_blobs(oci, NAME, CONFIGS[3], LAYER)
    oci.push_manifest(NAME, TAG, MANIFESTS[3])
    resp = expect_status(oci.list_tags(NAME), 200)
    return len(resp.json().get("tags") or [])


def chunked_blob(post_response: requests.Response) -> tuple[Blob, bytes, bytes]:
    """The suite's two-chunk blob (first chunk size/2+1 bytes), regrown to honour OCI-Chunk-Min-Length if the
    registry announced a minimum larger than the first chunk (spec "Pushing a blob in chunks")."""
    size = CHUNKED_BLOB_SIZE
    minimum = post_response.headers.get("OCI-Chunk-Min-Length")
    if minimum is not None and int(minimum) > size // 2 + 1:
        size = int(minimum) * 2 - 2
    data = random_bytes(size, "conformance-blob-b")
    cut = size // 2 + 1
    return Blob(data), data[:cut], data[cut:]


def patch_chunk(oci: OciClient, location: str, chunk: bytes, start: int) -> requests.Response:
    return oci.patch(location, data=chunk, headers={"Content-Type": OCTET_STREAM,
                                                    "Content-Range": f"{start}-{start + len(chunk) - 1}"})


def referrer_index(resp: requests.Response) -> list[dict]:
    """Checks a referrers answer is an image index served as one (spec "Listing Referrers"); returns its manifests."""
    expect_status(resp, 200)
    content_type = resp.headers.get("Content-Type", "").split(";")[0].strip()
    assert content_type == OCI_INDEX, f"referrers Content-Type {content_type!r}: {describe(resp)}"
    body = resp.json()
    assert body.get("schemaVersion") == 2, f"referrers response is not an image index: {describe(resp)}"
    assert isinstance(body.get("manifests"), list), f"referrers index lacks a manifests list: {describe(resp)}"
    return body["manifests"]


def assert_referrer_descriptors(entries: list[dict], expected: list[Manifest]) -> None:
    """Each descriptor names a referrer, with its media type, size, artifactType (artifactType, else the config's
    mediaType, omitted for an index without one) and annotations (spec "Listing Referrers")."""
    by_digest = {e.get("digest"): e for e in entries}
    assert len(by_digest) == len(entries), f"duplicate referrers: {entries}"
    assert set(by_digest) == {m.digest for m in expected}, \
        f"referrers {sorted(by_digest)} != expected {sorted(m.digest for m in expected)}"
    for manifest in expected:
        entry = by_digest[manifest.digest]
        assert entry.get("mediaType") == manifest.media_type, entry
        assert entry.get("size") == manifest.size, entry
        assert entry.get("artifactType") == manifest.artifact_type, entry
        assert (entry.get("annotations") or None) == manifest.annotations, entry


# =====================================================================================================================
# Determining support


def test_base_endpoint_answers_200(oci):
    """Spec (beyond the suite) "Determining Support", end-1: GET /v2/ answers 200 OK."""
    expect_status(oci.get("/v2/"), 200)


# =====================================================================================================================
# Pull (01_pull_test.go)


class TestPull:
    def test_setup_populates_registry(self, oci):
        """01_pull_test.go › Setup › "Populate registry with test blob" (×2), "… test layer", "… test manifest" (×2:
        by tag and by digest): every upload and manifest PUT succeeds."""
        setup_pull(oci)

    def test_head_nonexistent_blob_is_404(self, oci):
        """01_pull_test.go › Pull blobs › "HEAD request to nonexistent blob should result in 404 response"."""
        setup_pull(oci)
        resp = expect_status(oci.head(f"/v2/{NAME}/blobs/{DUMMY_DIGEST}"), 404)
        assert resp.content == b""

    def test_head_existing_blob_is_200(self, oci):
        """01_pull_test.go › Pull blobs › "HEAD request to existing blob should yield 200" (Docker-Content-Digest,
        if present, names the blob). Also spec "Checking if content exists": Content-Length, if present, is its size."""
        setup_pull(oci)
        resp = expect_status(oci.head(f"/v2/{NAME}/blobs/{CONFIGS[0].digest}"), 200)
        assert_digest_header(resp, CONFIGS[0].digest)
        if "Content-Length" in resp.headers:
            assert int(resp.headers["Content-Length"]) == CONFIGS[0].size
        assert resp.content == b""

    def test_get_nonexistent_blob_is_404(self, oci):
        """01_pull_test.go › Pull blobs › "GET nonexistent blob should result in 404 response"; the body is the
        spec's error with code BLOB_UNKNOWN (code-1)."""
        setup_pull(oci)
        assert_oci_error(oci.get_blob(NAME, DUMMY_DIGEST), 404, "BLOB_UNKNOWN")

    def test_get_existing_blob_is_200(self, oci):
        """01_pull_test.go › Pull blobs › "GET request to existing blob URL should yield 200"; the body is the blob
        (spec "Pulling blobs")."""
        setup_pull(oci)
        resp = expect_status(oci.get_blob(NAME, CONFIGS[0].digest), 200)
        assert resp.content == CONFIGS[0].data
        assert_digest_header(resp, CONFIGS[0].digest)

    def test_head_nonexistent_manifest_is_404(self, oci):
        """01_pull_test.go › Pull manifests › "HEAD request to nonexistent manifest should return 404". The suite's
        reference ".INVALID_MANIFEST_NAME" is not even a valid tag: it must still be 404, not 400."""
        setup_pull(oci)
        expect_status(oci.get_manifest(NAME, NONEXISTENT_MANIFEST, method="HEAD"), 404)

    @pytest.mark.parametrize("index", [0, 1])
    def test_head_manifest_by_digest_is_200(self, oci, index):
        """01_pull_test.go › Pull manifests › "HEAD request to manifest[0] path (digest) should yield 200 response"
        and "… manifest[1] …" (Docker-Content-Digest, if present, names the manifest)."""
        setup_pull(oci)
        resp = expect_status(oci.get_manifest(NAME, MANIFESTS[index].digest, accept=[OCI_MANIFEST], method="HEAD"),
                             200)
        assert_digest_header(resp, MANIFESTS[index].digest)
        if "Content-Length" in resp.headers:
            assert int(resp.headers["Content-Length"]) == MANIFESTS[index].size

    def test_head_manifest_by_tag_is_200(self, oci):
        """01_pull_test.go › Pull manifests › "HEAD request to manifest path (tag) should yield 200 response"."""
        setup_pull(oci)
        resp = expect_status(oci.get_manifest(NAME, TAG, accept=[OCI_MANIFEST], method="HEAD"), 200)
        assert_digest_header(resp, MANIFESTS[0].digest)

    def test_get_nonexistent_manifest_is_404(self, oci):
        """01_pull_test.go › Pull manifests › "GET nonexistent manifest should return 404" (with the spec's error
        body)."""
        setup_pull(oci)
        assert_oci_error(oci.get_manifest(NAME, NONEXISTENT_MANIFEST), 404)

    @pytest.mark.parametrize("index", [0, 1])
    def test_get_manifest_by_digest_is_200(self, oci, index):
        """01_pull_test.go › Pull manifests › "GET request to manifest[0] path (digest) should yield 200 response"
        and "… manifest[1] …"; the body is the exact bytes pushed, typed by Content-Type (spec "Pulling manifests",
        "Pushing Manifests": the registry MUST store the exact byte representation)."""
        setup_pull(oci)
        resp = expect_status(oci.get_manifest(NAME, MANIFESTS[index].digest, accept=[OCI_MANIFEST]), 200)
        assert resp.content == MANIFESTS[index].body
        assert resp.headers.get("Content-Type", "").split(";")[0] == OCI_MANIFEST
        assert_digest_header(resp, MANIFESTS[index].digest)

    def test_get_manifest_by_tag_is_200(self, oci):
        """01_pull_test.go › Pull manifests › "GET request to manifest path (tag) should yield 200 response"."""
        setup_pull(oci)
        resp = expect_status(oci.get_manifest(NAME, TAG, accept=[OCI_MANIFEST]), 200)
        assert resp.content == MANIFESTS[0].body
        assert_digest_header(resp, MANIFESTS[0].digest)

    def test_malformed_digest_reference_gives_spec_error(self, oci):
        """01_pull_test.go › Error codes › "400 response body should contain OCI-conforming JSON message": GET of
        manifest "sha256:totallywrong" (with a junk body) answers 400 or 404; a 400 carries a spec error code."""
        setup_pull(oci)
        resp = oci.get(f"/v2/{NAME}/manifests/sha256:totallywrong", data=b"blablabla",
                       headers={"Content-Type": OCI_MANIFEST})
        assert_oci_error(resp, (400, 404))

    def test_teardown_deletes_setup_content(self, oci):
        """01_pull_test.go › Teardown › "Delete manifest[0] created in setup", "Delete manifest[1] …", "Delete
        config[0] blob …", "Delete config[1] blob …", "Delete layer blob …" (manifests first, the suite's default
        OCI_DELETE_MANIFEST_BEFORE_BLOBS). The suite also accepts 405 (deletes disabled); Outpost deletes: 202."""
        setup_pull(oci)
        for manifest in MANIFESTS[:2]:
            expect_status(oci.delete(f"/v2/{NAME}/manifests/{manifest.digest}"), DELETE_OK)
        for blob in (CONFIGS[0], CONFIGS[1], LAYER):
            expect_status(oci.delete(f"/v2/{NAME}/blobs/{blob.digest}"), DELETE_OK)

    # --- spec requirements the suite does not check ---

    @pytest.mark.parametrize("reference", ["nosuchtag", DUMMY_DIGEST])
    def test_unknown_manifest_is_manifest_unknown(self, oci, reference):
        """Spec (beyond the suite) "Pulling manifests": an unknown tag or digest in an existing repository is 404 with
        MANIFEST_UNKNOWN (code-7)."""
        setup_pull(oci)
        assert_oci_error(oci.get_manifest(NAME, reference), 404, "MANIFEST_UNKNOWN")

    def test_unknown_repository_is_404(self, oci):
        """Spec (beyond the suite) "Pushing Manifests": "An attempt to pull a nonexistent repository MUST return
        response code 404"; the code is NAME_UNKNOWN (code-9) or the object's own unknown code (SPEC 4.3)."""
        setup_pull(oci)
        assert_oci_error(oci.get_manifest("conformance/absent", TAG), 404, "NAME_UNKNOWN", "MANIFEST_UNKNOWN")
        assert_oci_error(oci.get_blob("conformance/absent", CONFIGS[0].digest), 404, "NAME_UNKNOWN", "BLOB_UNKNOWN")

    def test_blob_range_request(self, oci):
        """Spec (beyond the suite) "Pulling blobs": a registry SHOULD support Range requests (RFC 9110); SPEC 6.1
        makes it a requirement for Outpost. A byte range answers 206 with Content-Range and exactly those bytes."""
        setup_pull(oci)
        resp = expect_status(oci.get_blob(NAME, LAYER.digest, headers={"Range": "bytes=3-9"}), 206)
        assert resp.content == LAYER.data[3:10]
        assert resp.headers.get("Content-Range") == f"bytes 3-9/{LAYER.size}"


# =====================================================================================================================
# Push (02_push_test.go)


class TestPushStreamed:
    def test_patch_with_blob_in_body_is_202(self, oci):
        """02_push_test.go › Blob Upload Streamed › "PATCH request with blob in body should yield 202 response" (a
        PATCH without Content-Range). Spec "Pushing a blob in chunks": the 202 carries Location and Range 0-<end>."""
        start = expect_status(oci.start_upload(NAME), 202)
        assert start.headers.get("Location")
        resp = expect_status(oci.patch(location_path(start), data=BLOB_A.data,
                                       headers={"Content-Type": OCTET_STREAM}), 202)
        assert resp.headers.get("Location"), describe(resp)
        assert resp.headers.get("Range") == f"0-{BLOB_A.size - 1}", describe(resp)

    def test_put_to_session_with_digest_is_201(self, oci):
        """02_push_test.go › Blob Upload Streamed › "PUT request to session URL with digest should yield 201
        response": closing PUT with ?digest and no body after the streamed PATCH; Location is a pullable blob URL."""
        start = expect_status(oci.start_upload(NAME), 202)
        patched = expect_status(oci.patch(location_path(start), data=BLOB_A.data,
                                          headers={"Content-Type": OCTET_STREAM}), 202)
        resp = expect_status(oci.put(location_path(patched), params={"digest": BLOB_A.digest}, data=b"",
                                     headers={"Content-Type": OCTET_STREAM}), 201)
        assert_blob_location(oci, resp, NAME, BLOB_A)


class TestPushMonolithic:
    def test_get_nonexistent_blob_is_404(self, oci):
        """02_push_test.go › Blob Upload Monolithic › "GET nonexistent blob should result in 404 response"."""
        assert_oci_error(oci.get_blob(NAME, DUMMY_DIGEST), 404, "BLOB_UNKNOWN", "NAME_UNKNOWN")

    def test_single_post_with_digest_is_201(self, oci):
        """02_push_test.go › Blob Upload Monolithic › "POST request with digest and blob should yield a 201 or 202"
        and "GET request to blob URL from prior request should yield 200 or 404 based on response code". Outpost
        supports single-POST uploads (SPEC 6.1), so: 201, Location, and the blob is then readable."""
        resp = expect_status(oci.push_blob_monolithic(NAME, CONFIGS[1]), 201)
        assert resp.headers.get("Location")
        got = expect_status(oci.get_blob(NAME, CONFIGS[1].digest), 200)
        assert got.content == CONFIGS[1].data
        assert_blob_location(oci, resp, NAME, CONFIGS[1])

    def test_post_yields_session_id(self, oci):
        """02_push_test.go › Blob Upload Monolithic › "POST request should yield a session ID": 202 with a Location
        that names the session (spec "POST then PUT"; Outpost: /v2/<name>/blobs/uploads/<id>)."""
        resp = expect_status(oci.start_upload(NAME), 202)
        path = location_path(resp).split("?")[0]
        prefix = f"/v2/{NAME}/blobs/uploads/"
        assert path.startswith(prefix) and len(path) > len(prefix), describe(resp)

    def test_post_sessions_are_unique(self, oci):
        """Spec (beyond the suite) "POST then PUT": the Location MUST contain a UUID representing a unique session."""
        first = location_path(expect_status(oci.start_upload(NAME), 202))
        second = location_path(expect_status(oci.start_upload(NAME), 202))
        assert first != second

    def test_put_upload_of_blob_is_201(self, oci):
        """02_push_test.go › Blob Upload Monolithic › "PUT upload of a blob should yield a 201 Response" (POST then
        PUT with the whole body) and "GET request to existing blob should yield 200 response"."""
        start = expect_status(oci.start_upload(NAME), 202)
        resp = expect_status(oci.put(location_path(start), params={"digest": CONFIGS[1].digest},
                                     data=CONFIGS[1].data, headers={"Content-Type": OCTET_STREAM}), 201)
        assert resp.headers.get("Location")
        got = expect_status(oci.get_blob(NAME, CONFIGS[1].digest), 200)
        assert got.content == CONFIGS[1].data
        assert_blob_location(oci, resp, NAME, CONFIGS[1])

    def test_put_upload_of_layer_is_201(self, oci):
        """02_push_test.go › Blob Upload Monolithic › "PUT upload of a layer blob should yield a 201 Response" and
        "GET request to existing layer should yield 200 response"."""
        resp = oci.push_blob(NAME, LAYER)
        assert resp.headers.get("Location")
        got = expect_status(oci.get_blob(NAME, LAYER.digest), 200)
        assert got.content == LAYER.data

    def test_zero_length_blob(self, oci):
        """Spec (beyond the suite) "Pushing blobs": the empty blob (0 bytes) is a blob like any other."""
        empty = Blob(b"")
        resp = oci.push_blob(NAME, empty)
        assert_blob_location(oci, resp, NAME, empty)
        head = expect_status(oci.head(f"/v2/{NAME}/blobs/{empty.digest}"), 200)
        if "Content-Length" in head.headers:
            assert head.headers["Content-Length"] == "0"
        # A client that sends a Range on every GET reads it too (served whole, as Distribution does), not 416.
        ranged = expect_status(oci.get(f"/v2/{NAME}/blobs/{empty.digest}", headers={"Range": "bytes=0-"}), 200)
        assert ranged.content == b""

    def test_digest_mismatch_is_digest_invalid(self, oci):
        """Spec (beyond the suite) end-6 (failure 400) and code-4 DIGEST_INVALID "provided digest did not match
        uploaded content": the upload is refused and nothing becomes readable under either digest."""
        start = expect_status(oci.start_upload(NAME), 202)
        resp = oci.put(location_path(start), params={"digest": CONFIGS[0].digest}, data=CONFIGS[1].data,
                       headers={"Content-Type": OCTET_STREAM})
        assert_oci_error(resp, 400, "DIGEST_INVALID")
        expect_status(oci.head(f"/v2/{NAME}/blobs/{CONFIGS[0].digest}"), 404)
        expect_status(oci.head(f"/v2/{NAME}/blobs/{CONFIGS[1].digest}"), 404)


class TestPushChunked:
    def test_out_of_order_chunk_is_416(self, oci):
        """02_push_test.go › Blob Upload Chunked › "Out-of-order blob upload should return 416": the second chunk
        first (spec: "If a chunk is uploaded out of order, the registry MUST respond with a 416")."""
        start = expect_status(oci.start_upload(NAME), 202)
        assert start.headers.get("Location")
        _, first, second = chunked_blob(start)
        resp = patch_chunk(oci, location_path(start), second, len(first))
        assert_oci_error(resp, 416)

    def test_first_chunk_is_202_with_range(self, oci):
        """02_push_test.go › Blob Upload Chunked › "PATCH request with first chunk should return 202": Range is
        0-<last byte> (and, spec "Pushing a blob in chunks", Location is set)."""
        start = expect_status(oci.start_upload(NAME), 202)
        _, first, _ = chunked_blob(start)
        resp = expect_status(patch_chunk(oci, location_path(start), first, 0), 202)
        assert resp.headers.get("Range") == f"0-{len(first) - 1}", describe(resp)
        assert resp.headers.get("Location"), describe(resp)

    def test_retrying_previous_chunk_is_416(self, oci):
        """02_push_test.go › Blob Upload Chunked › "Retry previous blob chunk should return 416": the first chunk sent
        again to the session's first Location, after it was accepted."""
        start = expect_status(oci.start_upload(NAME), 202)
        _, first, _ = chunked_blob(start)
        expect_status(patch_chunk(oci, location_path(start), first, 0), 202)
        assert_oci_error(patch_chunk(oci, location_path(start), first, 0), 416)

    def test_upload_status_after_416_is_204_with_range_and_location(self, oci):
        """02_push_test.go › Blob Upload Chunked › "Get on stale blob upload should return 204 with a range and
        location" (spec end-13: after a 416 the session is still active and reports the bytes it holds)."""
        start = expect_status(oci.start_upload(NAME), 202)
        _, first, _ = chunked_blob(start)
        expect_status(patch_chunk(oci, location_path(start), first, 0), 202)
        expect_status(patch_chunk(oci, location_path(start), first, 0), 416)
        resp = expect_status(oci.get(location_path(start)), 204)
        assert resp.headers.get("Location"), describe(resp)
        assert resp.headers.get("Range") == f"0-{len(first) - 1}", describe(resp)

    def test_second_chunk_is_202(self, oci):
        """02_push_test.go › Blob Upload Chunked › "PATCH request with second chunk should return 202", sent to the
        Location the status GET returned; Location set (and, spec, Range covers both chunks)."""
        start = expect_status(oci.start_upload(NAME), 202)
        blob, first, second = chunked_blob(start)
        expect_status(patch_chunk(oci, location_path(start), first, 0), 202)
        expect_status(patch_chunk(oci, location_path(start), first, 0), 416)
        status = expect_status(oci.get(location_path(start)), 204)
        resp = expect_status(patch_chunk(oci, location_path(status), second, len(first)), 202)
        assert resp.headers.get("Location"), describe(resp)
        assert resp.headers.get("Range") == f"0-{blob.size - 1}", describe(resp)

    def test_closing_put_with_digest_is_201(self, oci):
        """02_push_test.go › Blob Upload Chunked › "PUT request with digest should return 201": the closing PUT (no
        body) after both chunks; Location is a pullable URL of the whole blob."""
        start = expect_status(oci.start_upload(NAME), 202)
        blob, first, second = chunked_blob(start)
        expect_status(patch_chunk(oci, location_path(start), first, 0), 202)
        expect_status(patch_chunk(oci, location_path(start), first, 0), 416)
        status = expect_status(oci.get(location_path(start)), 204)
        patched = expect_status(patch_chunk(oci, location_path(status), second, len(first)), 202)
        resp = expect_status(oci.put(location_path(patched), params={"digest": blob.digest}, data=b"",
                                     headers={"Content-Type": OCTET_STREAM}), 201)
        assert_blob_location(oci, resp, NAME, blob)

    def test_final_chunk_in_closing_put(self, oci):
        """Spec (beyond the suite) "Pushing a blob in chunks": "The final chunk MAY be uploaded using a PATCH request
        or it MAY be uploaded in the closing PUT request"."""
        start = expect_status(oci.start_upload(NAME), 202)
        blob, first, second = chunked_blob(start)
        patched = expect_status(patch_chunk(oci, location_path(start), first, 0), 202)
        resp = expect_status(oci.put(location_path(patched), params={"digest": blob.digest}, data=second, headers={
            "Content-Type": OCTET_STREAM, "Content-Range": f"{len(first)}-{blob.size - 1}"}), 201)
        assert_blob_location(oci, resp, NAME, blob)

    def test_many_chunks(self, oci):
        """Spec (beyond the suite) "Pushing a blob in chunks": a blob in several chunks, each at the Location the
        previous answer gave, hashes to the whole blob's digest."""
        blob = Blob(random_bytes(1000, "many-chunks"))
        resp = oci.push_blob_chunked(NAME, blob, chunk_size=128)
        assert_blob_location(oci, resp, NAME, blob)


    def test_chunk_whose_range_is_not_its_length_is_size_invalid(self, oci):
        """Spec (beyond the suite) code-10 SIZE_INVALID, "provided length did not match content length": a chunk
        whose Content-Range names more (or fewer) bytes than its Content-Length is refused, and none of it is
        kept."""
        start = expect_status(oci.start_upload(NAME), 202)
        resp = oci.patch(location_path(start), data=b"abc",
                         headers={"Content-Type": OCTET_STREAM, "Content-Range": "0-4"})
        assert_oci_error(resp, 400, "SIZE_INVALID")
        status = expect_status(oci.get(location_path(start)), 204)
        assert status.headers.get("Range") == "0-0"


class TestPushCrossMount:
    def test_mount_without_from_of_unknown_blob_yields_session(self, oci):
        """02_push_test.go › Cross-Repository Blob Mount › "Cross-mounting of a blob without the from argument should
        yield session id": 202 and a Location (spec "Mounting a blob": unable to mount -> an upload session)."""
        resp = expect_status(oci.start_upload(CROSSMOUNT_NAME, mount=DUMMY_DIGEST), 202)
        assert location_path(resp).startswith(f"/v2/{CROSSMOUNT_NAME}/blobs/uploads/"), describe(resp)

    def test_mount_from_another_repository_is_201(self, oci):
        """02_push_test.go › Cross-Repository Blob Mount › "POST request to mount another repository's blob should
        return 201 or 202" (Outpost mounts: 201) and "GET request to test digest within cross-mount namespace should
        return 200": Location is exactly /v2/<crossmount>/blobs/<digest> and serves the blob."""
        oci.push_blob(NAME, BLOB_A)
        resp = expect_status(oci.start_upload(CROSSMOUNT_NAME, mount=BLOB_A.digest, **{"from": NAME}), 201)
        assert location_path(resp) == f"/v2/{CROSSMOUNT_NAME}/blobs/{BLOB_A.digest}", describe(resp)
        got = expect_status(oci.get(location_path(resp)), 200)
        assert got.content == BLOB_A.data
        assert_digest_header(resp, BLOB_A.digest)

    def test_mount_from_repository_without_the_blob_yields_session(self, oci):
        """02_push_test.go › Cross-Repository Blob Mount › "Cross-mounting of nonexistent blob should yield session
        id" (the suite's path when the mount answers 202). Here the blob exists in the registry, but not in `from`:
        no mount (SPEC 3: a blob is readable only in repositories that hold it), 202 with a session under the
        target, and the session works."""
        oci.push_blob(OTHER_NAME, BLOB_A)
        oci.push_blob(NAME, CONFIGS[0])  # `from` exists, without BLOB_A
        resp = expect_status(oci.start_upload(CROSSMOUNT_NAME, mount=BLOB_A.digest, **{"from": NAME}), 202)
        assert location_path(resp).startswith(f"/v2/{CROSSMOUNT_NAME}/blobs/uploads/"), describe(resp)
        expect_status(oci.head(f"/v2/{CROSSMOUNT_NAME}/blobs/{BLOB_A.digest}"), 404)
        put = expect_status(oci.put(location_path(resp), params={"digest": BLOB_A.digest}, data=BLOB_A.data,
                                    headers={"Content-Type": OCTET_STREAM}), 201)
        assert_blob_location(oci, put, CROSSMOUNT_NAME, BLOB_A)

    def test_mount_without_from_of_known_blob(self, oci):
        """02_push_test.go › Cross-Repository Blob Mount › "Cross-mounting without from, and automatic content
        discovery enabled should return a 201" / "… disabled should return a 202". The suite runs one of the two only
        when OCI_AUTOMATIC_CROSSMOUNT is set to 1 or 0; the spec lets the registry choose ("MAY treat the from
        parameter as optional"). Either answer must be whole: 201 mounts (Location is the blob, readable), 202 opens
        a session under the target and mounts nothing. docs/conformance.md says which one Outpost gives."""
        oci.push_blob(NAME, BLOB_A)
        resp = expect_status(oci.start_upload(CROSSMOUNT_NAME, mount=BLOB_A.digest), 201, 202)
        if resp.status_code == 201:
            assert location_path(resp) == f"/v2/{CROSSMOUNT_NAME}/blobs/{BLOB_A.digest}", describe(resp)
            expect_status(oci.get_blob(CROSSMOUNT_NAME, BLOB_A.digest), 200)
        else:
            assert location_path(resp).startswith(f"/v2/{CROSSMOUNT_NAME}/blobs/uploads/"), describe(resp)
            expect_status(oci.head(f"/v2/{CROSSMOUNT_NAME}/blobs/{BLOB_A.digest}"), 404)


class TestPushManifest:
    def test_get_nonexistent_manifest_is_404(self, oci):
        """02_push_test.go › Manifest Upload › "GET nonexistent manifest should return 404"."""
        assert_oci_error(oci.get_manifest(NAME, NONEXISTENT_MANIFEST), 404)

    def test_put_manifest_under_tags_is_201(self, oci):
        """02_push_test.go › Manifest Upload › "PUT should accept a manifest upload": manifests[1] under test0..test3,
        each 201 with a Location that is a pullable manifest URL (spec "Pushing Manifests")."""
        push_blobs(oci, NAME, CONFIGS[1], LAYER)
        for tag in PUSH_TAGS:
            resp = expect_status(oci.put_manifest(NAME, tag, MANIFESTS[1]), 201)
            assert_digest_header(resp, MANIFESTS[1].digest)
            got = expect_status(oci.get(location_path(resp), headers={"Accept": OCI_MANIFEST}), 200)
            assert got.content == MANIFESTS[1].body
        for tag in PUSH_TAGS:
            assert expect_status(oci.get_manifest(NAME, tag), 200).content == MANIFESTS[1].body

    def test_manifest_without_layers_is_accepted(self, oci):
        """02_push_test.go › Manifest Upload › "Registry should accept a manifest upload with no layers" (the suite
        only warns on failure; the spec says "the list of blobs MAY be empty", so Outpost must accept it). The
        manifest also has no top-level mediaType: Content-Type says what it is."""
        push_blobs(oci, NAME, CONFIGS[1])
        resp = expect_status(oci.put_manifest(NAME, EMPTY_LAYER_TAG, EMPTY_LAYER_MANIFEST), 201)
        assert resp.headers.get("Location")
        got = expect_status(oci.get_manifest(NAME, EMPTY_LAYER_TAG), 200)
        assert got.content == EMPTY_LAYER_MANIFEST.body
        expect_status(oci.get_manifest(NAME, EMPTY_LAYER_MANIFEST.digest), 200)

    def test_get_manifest_by_digest_is_200(self, oci):
        """02_push_test.go › Manifest Upload › "GET request to manifest URL (digest) should yield 200 response"."""
        push_blobs(oci, NAME, CONFIGS[1], LAYER)
        for tag in PUSH_TAGS:
            oci.push_manifest(NAME, tag, MANIFESTS[1])
        resp = expect_status(oci.get_manifest(NAME, MANIFESTS[1].digest, accept=[OCI_MANIFEST]), 200)
        assert resp.content == MANIFESTS[1].body

    def test_teardown_deletes_pushed_content(self, oci):
        """02_push_test.go › Teardown › "Delete manifest created in tests" (manifests[1] and the no-layer manifest by
        digest), "Delete config blob created in tests", "Delete layer blob created in setup". The suite also accepts
        405 (and 404 for blobs); Outpost deletes and everything exists: 202."""
        push_blobs(oci, NAME, CONFIGS[1], LAYER)
        for tag in PUSH_TAGS:
            oci.push_manifest(NAME, tag, MANIFESTS[1])
        oci.push_manifest(NAME, EMPTY_LAYER_TAG, EMPTY_LAYER_MANIFEST)
        expect_status(oci.delete(f"/v2/{NAME}/manifests/{MANIFESTS[1].digest}"), DELETE_OK)
        expect_status(oci.delete(f"/v2/{NAME}/manifests/{EMPTY_LAYER_MANIFEST.digest}"), DELETE_OK)
        expect_status(oci.delete(f"/v2/{NAME}/blobs/{CONFIGS[1].digest}"), DELETE_OK)
        expect_status(oci.delete(f"/v2/{NAME}/blobs/{LAYER.digest}"), DELETE_OK)

    # --- spec requirements the suite does not check ---

    def test_put_manifest_by_digest_is_201(self, oci):
        """Spec (beyond the suite) "Pushing Manifests" (the pull setup pushes manifests[1] this way): a PUT by digest
        answers 201 with a pullable Location; Docker-Content-Digest, if sent, MUST equal the digest."""
        push_blobs(oci, NAME, CONFIGS[1], LAYER)
        resp = expect_status(oci.put_manifest(NAME, MANIFESTS[1].digest, MANIFESTS[1]), 201)
        assert_digest_header(resp, MANIFESTS[1].digest)
        got = expect_status(oci.get(location_path(resp), headers={"Accept": OCI_MANIFEST}), 200)
        assert got.content == MANIFESTS[1].body

    @pytest.mark.parametrize("missing", ["layer", "config"])
    def test_manifest_with_missing_blob_is_refused(self, oci, missing):
        """Spec (beyond the suite) "Push": a registry that rejects a manifest referencing a blob it does not hold MUST
        answer MANIFEST_BLOB_UNKNOWN (code-5); SPEC 6.2 makes Outpost reject it (400), and store nothing."""
        push_blobs(oci, NAME, CONFIGS[0] if missing == "layer" else LAYER)
        assert_oci_error(oci.put_manifest(NAME, TAG, MANIFESTS[0]), 400, "MANIFEST_BLOB_UNKNOWN")
        assert_oci_error(oci.get_manifest(NAME, MANIFESTS[0].digest), 404)
        assert_oci_error(oci.get_manifest(NAME, TAG), 404)

    def test_manifest_digest_mismatch_is_refused(self, oci):
        """Spec (beyond the suite) end-7 and code-4 DIGEST_INVALID: a manifest PUT under a digest that is not the
        digest of its bytes is refused with 400."""
        push_blobs(oci, NAME, CONFIGS[0], LAYER)
        assert_oci_error(oci.put_manifest(NAME, MANIFESTS[1].digest, MANIFESTS[0]), 400, "DIGEST_INVALID")
        assert_oci_error(oci.get_manifest(NAME, MANIFESTS[1].digest), 404)

    def test_invalid_manifest_is_manifest_invalid(self, oci):
        """Spec (beyond the suite) code-6 MANIFEST_INVALID, for the suite's invalidManifestContent ("blablabla")
        (SPEC 6.2: manifests are validated as JSON of their media type)."""
        push_blobs(oci, NAME, CONFIGS[0])
        resp = oci.put(f"/v2/{NAME}/manifests/{TAG}", data=b"blablabla", headers={"Content-Type": OCI_MANIFEST})
        assert_oci_error(resp, 400, "MANIFEST_INVALID")


# =====================================================================================================================
# Content discovery (03_discovery_test.go)


class TestDiscoveryTags:
    ALL_TAGS = sorted([TAG, *PUSH_TAGS])  # test0..test3 plus tagtest0 from the references setup

    def setup_all(self, oci):
        setup_discovery_tags(oci)
        setup_references(oci)

    def test_setup_populates_tags(self, oci):
        """03_discovery_test.go › Setup › "Populate registry with test blob", "… test layer", "… test tags"."""
        setup_discovery_tags(oci)
        body = expect_status(oci.list_tags(NAME), 200).json()
        assert body.get("tags") == PUSH_TAGS

    def test_list_tags_is_200(self, oci):
        """03_discovery_test.go › Test content discovery endpoints (listing tags) › "GET request to list tags should
        yield 200 response"; the body is {"name", "tags"} in lexical order (spec "Listing Tags")."""
        self.setup_all(oci)
        body = expect_status(oci.list_tags(NAME), 200).json()
        assert body.get("name") == NAME
        assert body.get("tags") == self.ALL_TAGS

    def test_list_tags_limited_by_n(self, oci):
        """03_discovery_test.go › … (listing tags) › "GET number of tags should be limitable by `n` query parameter":
        n = half the tags gives exactly that many, the first ones. SPEC 6.1: with more to come, a Link rel="next"."""
        self.setup_all(oci)
        n = len(self.ALL_TAGS) // 2
        resp = expect_status(oci.list_tags(NAME, n=n), 200)
        assert resp.json().get("tags") == self.ALL_TAGS[:n]
        assert link_next(resp) is not None, f"no Link rel=\"next\": {describe(resp)}"

    def test_list_tags_start_set_by_last(self, oci):
        """03_discovery_test.go › … (listing tags) › "GET start of tag is set by `last` query parameter". The Go check
        only asserts 200 (it re-checks the first page by mistake); this asserts what the spec says: up to n tags
        strictly after `last`, in lexical order."""
        self.setup_all(oci)
        n = len(self.ALL_TAGS) // 2
        first = expect_status(oci.list_tags(NAME, n=n), 200).json()["tags"]
        resp = expect_status(oci.list_tags(NAME, n=n, last=first[-1]), 200)
        assert resp.json().get("tags") == self.ALL_TAGS[n:2 * n]

    # --- spec requirements the suite does not check ---

    def test_link_header_pages_through_all_tags(self, oci):
        """Spec (beyond the suite) "Listing Tags": following Link rel="next" (RFC 5988) visits every tag once, in
        order; the last page has no Link."""
        self.setup_all(oci)
        seen: list[str] = []
        resp = expect_status(oci.list_tags(NAME, n=2), 200)
        for _ in range(len(self.ALL_TAGS) + 1):
            seen += resp.json().get("tags") or []
            target = link_next(resp)
            if target is None:
                break
            resp = expect_status(oci.get(target), 200)
        assert seen == self.ALL_TAGS
        assert link_next(resp) is None

    def test_n_zero_is_empty_without_link(self, oci):
        """Spec (beyond the suite) "Listing Tags": "When n is zero, this endpoint MUST return an empty list, and MUST
        NOT include a Link header"."""
        self.setup_all(oci)
        resp = expect_status(oci.list_tags(NAME, n=0), 200)
        assert (resp.json().get("tags") or []) == []
        assert "Link" not in resp.headers

    def test_last_without_n(self, oci):
        """Spec (beyond the suite) "Listing Tags": "When using the last query parameter, the n parameter is
        OPTIONAL"."""
        self.setup_all(oci)
        resp = expect_status(oci.list_tags(NAME, last=self.ALL_TAGS[1]), 200)
        assert resp.json().get("tags") == self.ALL_TAGS[2:]

    def test_tags_are_listed_case_insensitively(self, oci):
        """Spec (beyond the suite) "Listing Tags": "the tags MUST be in lexical order (i.e. case-insensitive
        alphanumeric order)"; tags that differ only in case follow their bytes, and `last` pages through that order."""
        setup_discovery_tags(oci)
        mixed = ["b", "Z", "_x", "A", "a", "V1", "v1"]
        for tag in mixed:
            oci.push_manifest(NAME, tag, MANIFESTS[2])
        expected = sorted(mixed + PUSH_TAGS, key=lambda tag: (tag.lower(), tag))
        assert expect_status(oci.list_tags(NAME), 200).json().get("tags") == expected
        after_upper_a = expect_status(oci.list_tags(NAME, n=2, last="A"), 200).json().get("tags")
        assert after_upper_a == ["a", "b"]

    def test_unknown_repository_is_name_unknown(self, oci):
        """Spec (beyond the suite) end-8a (failure 404) and code-9 NAME_UNKNOWN."""
        self.setup_all(oci)
        assert_oci_error(oci.list_tags("conformance/absent"), 404, "NAME_UNKNOWN")


class TestDiscoveryReferrers:
    def test_references_setup_answers_oci_subject(self, oci):
        """03_discovery_test.go › Setup › "References setup": the empty JSON blob has the spec's digest, manifests
        with a subject are accepted whether or not the subject exists yet, and each PUT answers OCI-Subject: <subject
        digest> (spec "Pushing Manifests with Subject")."""
        assert EMPTY_BLOB.digest == EMPTY_JSON_DIGEST
        setup_discovery_tags(oci)
        pushed = setup_references(oci)
        for ref in (*REFERRERS_OF_4, REF_C_LAYER):
            resp = pushed[ref.digest]
            assert resp.headers.get("OCI-Subject") == ref.subject, describe(resp)

    def test_referrers_of_unknown_subject_is_empty_index(self, oci):
        """03_discovery_test.go › … (listing references) › "GET request to nonexistent blob should result in empty 200
        response": an image index with an empty manifests list, never 404."""
        setup_discovery_tags(oci)
        setup_references(oci)
        assert referrer_index(oci.referrers(NAME, DUMMY_DIGEST)) == []

    def test_referrers_of_subject_lists_all(self, oci):
        """03_discovery_test.go › … (listing references) › "GET request to existing blob should yield 200": the five
        referrers of manifests[4] (pushed before and after it), distinct, each with its annotation; and, per spec
        "Listing Referrers", each descriptor's mediaType, size and artifactType."""
        setup_discovery_tags(oci)
        setup_references(oci)
        entries = referrer_index(oci.referrers(NAME, MANIFESTS[4].digest))
        assert len(entries) == 5
        assert_referrer_descriptors(entries, REFERRERS_OF_4)

    def test_referrers_filtered_by_artifact_type(self, oci):
        """03_discovery_test.go › … (listing references) › "GET request to existing blob with filter should yield
        200". The suite accepts an unfiltered list (with a warning) when OCI-Filters-Applied is absent; Outpost
        filters (SPEC 6.1): exactly the two type-A referrers, and OCI-Filters-Applied: artifactType."""
        setup_discovery_tags(oci)
        setup_references(oci)
        resp = oci.referrers(NAME, MANIFESTS[4].digest, artifact_type=ARTIFACT_TYPE_A)
        entries = referrer_index(resp)
        assert resp.headers.get("OCI-Filters-Applied") == "artifactType", describe(resp)
        assert_referrer_descriptors(entries, [REF_A_CONFIG, REF_A_LAYER])

    def test_referrers_of_missing_manifest(self, oci):
        """03_discovery_test.go › … (listing references) › "GET request to missing manifest should yield 200":
        manifests[3] was never pushed, yet its one referrer (C) is listed."""
        setup_discovery_tags(oci)
        setup_references(oci)
        entries = referrer_index(oci.referrers(NAME, MANIFESTS[3].digest))
        assert [e.get("digest") for e in entries] == [REF_C_LAYER.digest]

    def test_teardown_deletes_discovery_content(self, oci):
        """03_discovery_test.go › Teardown › "Delete created manifest & associated tags" (manifests first; the entry
        for tagtest0 is already gone with manifests[4]), "Delete config blob created in tests" and "Delete layer blob
        created in setup" (for these two the suite accepts only 2xx or 405: the blobs must survive the deletion of
        every manifest that referenced them), "References teardown". Outpost: 202 for everything that exists."""
        setup_discovery_tags(oci)
        setup_references(oci)
        for reference in (REF_INDEX.digest, MANIFESTS[2].digest, MANIFESTS[4].digest, REF_A_CONFIG.digest,
                          REF_A_LAYER.digest):
            expect_status(oci.delete(f"/v2/{NAME}/manifests/{reference}"), DELETE_OK)
        # tagtest0 went with manifests[4]
        assert_oci_error(oci.delete(f"/v2/{NAME}/manifests/{TAG}"), 404, "MANIFEST_UNKNOWN")
        for reference in (REF_B_CONFIG.digest, REF_B_LAYER.digest, REF_C_LAYER.digest):
            expect_status(oci.delete(f"/v2/{NAME}/manifests/{reference}"), DELETE_OK)
        expect_status(oci.delete(f"/v2/{NAME}/blobs/{CONFIGS[2].digest}"), DELETE_OK)
        expect_status(oci.delete(f"/v2/{NAME}/blobs/{LAYER.digest}"), DELETE_OK)
        for blob in (CONFIGS[4], REF_BLOB_A, REF_BLOB_B, EMPTY_BLOB):
            expect_status(oci.delete(f"/v2/{NAME}/blobs/{blob.digest}"), DELETE_OK)

    # --- spec requirements the suite does not check ---

    def test_malformed_subject_digest_is_400(self, oci):
        """Spec (beyond the suite) "Listing Referrers": "If the request is invalid, such as a <digest> with an invalid
        syntax, a 400 Bad Request MUST be returned"."""
        setup_discovery_tags(oci)
        assert_oci_error(oci.referrers(NAME, "sha256:not-a-digest"), 400)

    def test_deleted_referrer_is_no_longer_listed(self, oci):
        """Spec (beyond the suite) "Listing Referrers": each descriptor is of a manifest in the repository, so a
        deleted referrer leaves the list."""
        setup_discovery_tags(oci)
        setup_references(oci)
        expect_status(oci.delete(f"/v2/{NAME}/manifests/{REF_B_LAYER.digest}"), DELETE_OK)
        entries = referrer_index(oci.referrers(NAME, MANIFESTS[4].digest))
        assert_referrer_descriptors(entries, [m for m in REFERRERS_OF_4 if m is not REF_B_LAYER])


# =====================================================================================================================
# Content management (04_management_test.go)


class TestContentManagement:
    def test_setup_counts_tags(self, oci):
        """04_management_test.go › Setup › "Populate registry with test config blob", "… test layer", "… test tag",
        "Check how many tags there are before anything gets deleted"."""
        assert setup_management(oci) == 1

    def test_delete_tag_is_202(self, oci):
        """04_management_test.go › Manifest delete › "DELETE request to manifest tag should return 202, unless tag
        deletion is disallowed (400/405)". Outpost deletes tags (SPEC 6.1): 202; then the tag is 404 (spec "Deleting
        tags") while the manifest stays readable by digest."""
        setup_management(oci)
        expect_status(oci.delete(f"/v2/{NAME}/manifests/{TAG}"), DELETE_OK)
        assert_oci_error(oci.get_manifest(NAME, TAG), 404, "MANIFEST_UNKNOWN")
        assert expect_status(oci.get_manifest(NAME, MANIFESTS[3].digest), 200).content == MANIFESTS[3].body

    def test_delete_manifest_by_digest_is_202(self, oci):
        """04_management_test.go › Manifest delete › "DELETE request to manifest (digest) should yield 202 response
        unless already deleted" (it was only untagged before, so it exists: 202)."""
        setup_management(oci)
        expect_status(oci.delete(f"/v2/{NAME}/manifests/{TAG}"), DELETE_OK)
        expect_status(oci.delete(f"/v2/{NAME}/manifests/{MANIFESTS[3].digest}"), DELETE_OK)

    def test_get_deleted_manifest_is_404(self, oci):
        """04_management_test.go › Manifest delete › "GET request to deleted manifest URL should yield 404 response,
        unless delete is disallowed"; spec "Deleting Manifests": the digest and every tag on it answer 404."""
        setup_management(oci)
        expect_status(oci.delete(f"/v2/{NAME}/manifests/{MANIFESTS[3].digest}"), DELETE_OK)
        assert_oci_error(oci.get_manifest(NAME, MANIFESTS[3].digest), 404, "MANIFEST_UNKNOWN")
        assert_oci_error(oci.get_manifest(NAME, TAG), 404, "MANIFEST_UNKNOWN")
        expect_status(oci.get_manifest(NAME, MANIFESTS[3].digest, method="HEAD"), 404)

    def test_tags_list_reflects_deletion(self, oci):
        """04_management_test.go › Manifest delete › "GET request to tags list should reflect manifest deletion":
        after the suite's deletes (tag, then digest) tags/list still answers 200, with fewer tags."""
        before = setup_management(oci)
        expect_status(oci.delete(f"/v2/{NAME}/manifests/{TAG}"), DELETE_OK)
        expect_status(oci.delete(f"/v2/{NAME}/manifests/{MANIFESTS[3].digest}"), DELETE_OK)
        resp = expect_status(oci.list_tags(NAME), 200)
        assert len(resp.json().get("tags") or []) < before

    def test_delete_blob_is_202(self, oci):
        """04_management_test.go › Blob delete › "DELETE request to blob URL should yield 202 response" (config and
        layer, after the manifest's deletion as in the suite). The suite also accepts 404/405; Outpost: 202."""
        setup_management(oci)
        expect_status(oci.delete(f"/v2/{NAME}/manifests/{MANIFESTS[3].digest}"), DELETE_OK)
        expect_status(oci.delete(f"/v2/{NAME}/blobs/{CONFIGS[3].digest}"), DELETE_OK)
        expect_status(oci.delete(f"/v2/{NAME}/blobs/{LAYER.digest}"), DELETE_OK)

    def test_get_deleted_blob_is_404(self, oci):
        """04_management_test.go › Blob delete › "GET request to deleted blob URL should yield 404 response"."""
        setup_management(oci)
        expect_status(oci.delete(f"/v2/{NAME}/manifests/{MANIFESTS[3].digest}"), DELETE_OK)
        expect_status(oci.delete(f"/v2/{NAME}/blobs/{CONFIGS[3].digest}"), DELETE_OK)
        assert_oci_error(oci.get_blob(NAME, CONFIGS[3].digest), 404, "BLOB_UNKNOWN")
        expect_status(oci.head(f"/v2/{NAME}/blobs/{CONFIGS[3].digest}"), 404)

    # --- spec requirements the suite does not check ---

    def test_delete_unknown_blob_is_404(self, oci):
        """Spec (beyond the suite) "Deleting Blobs": "If the blob is not found, a 404 Not Found code MUST be
        returned" (BLOB_UNKNOWN)."""
        setup_management(oci)
        assert_oci_error(oci.delete(f"/v2/{NAME}/blobs/{DUMMY_DIGEST}"), 404, "BLOB_UNKNOWN")

    def test_delete_unknown_manifest_is_404(self, oci):
        """Spec (beyond the suite) end-9 (failure 404): deleting a manifest the repository does not hold."""
        setup_management(oci)
        assert_oci_error(oci.delete(f"/v2/{NAME}/manifests/{MANIFESTS[0].digest}"), 404, "MANIFEST_UNKNOWN")

    def test_delete_manifest_removes_every_tag(self, oci):
        """Spec (beyond the suite) "Deleting Manifests": "Once deleted, a GET to /v2/<name>/manifests/<digest> and any
        tag pointing to that digest will return a 404"; tags/list forgets them."""
        setup_management(oci)
        oci.push_manifest(NAME, "second", MANIFESTS[3])
        expect_status(oci.delete(f"/v2/{NAME}/manifests/{MANIFESTS[3].digest}"), DELETE_OK)
        for tag in (TAG, "second"):
            assert_oci_error(oci.get_manifest(NAME, tag), 404, "MANIFEST_UNKNOWN")
        assert (expect_status(oci.list_tags(NAME), 200).json().get("tags") or []) == []

    def test_cancel_upload_is_204(self, oci):
        """Spec (beyond the suite; SPEC 6.1 "DELETE cancel", Docker registry API "Canceling an Upload"): DELETE on an
        upload session answers 204, after which the session is unknown (404 BLOB_UPLOAD_UNKNOWN)."""
        start = expect_status(oci.start_upload(NAME), 202)
        expect_status(patch_chunk(oci, location_path(start), b"partial", 0), 202)
        expect_status(oci.delete(location_path(start)), 204)
        assert_oci_error(oci.get(location_path(start)), 404, "BLOB_UPLOAD_UNKNOWN")
        resp = oci.put(location_path(start), params={"digest": digest_of(b"partial")}, data=b"")
        assert_oci_error(resp, 404, "BLOB_UPLOAD_UNKNOWN")

    @pytest.mark.parametrize("method", ["GET", "PATCH", "PUT", "DELETE"])
    def test_unknown_upload_is_404(self, oci, method):
        """Spec (beyond the suite) end-5, end-6, end-13 (failure 404) and code-3 BLOB_UPLOAD_UNKNOWN: an upload id
        the registry never issued, in an existing repository."""
        oci.push_blob(NAME, CONFIGS[0])
        path = f"/v2/{NAME}/blobs/uploads/{uuid.uuid4()}"
        kwargs: dict = {}
        if method == "PATCH":
            kwargs = {"data": b"chunk", "headers": {"Content-Type": OCTET_STREAM, "Content-Range": "0-4"}}
        elif method == "PUT":
            kwargs = {"params": {"digest": digest_of(b"")}, "data": b""}
        assert_oci_error(oci.request(method, path, **kwargs), 404, "BLOB_UPLOAD_UNKNOWN")


# =====================================================================================================================
# Error bodies: every 4xx with a body has the spec's shape


ERROR_CASES = {
    # name: (method, path, request kwargs, expected status, expected codes)
    "blob unknown": ("GET", f"/v2/{NAME}/blobs/{DUMMY_DIGEST}", {}, 404, ("BLOB_UNKNOWN",)),
    "manifest unknown": ("GET", f"/v2/{NAME}/manifests/nosuchtag", {}, 404, ("MANIFEST_UNKNOWN",)),
    "repository unknown": ("GET", "/v2/conformance/absent/tags/list", {}, 404, ("NAME_UNKNOWN",)),
    "upload unknown": ("GET", f"/v2/{NAME}/blobs/uploads/{uuid.UUID(int=7)}", {}, 404, ("BLOB_UPLOAD_UNKNOWN",)),
    "manifest invalid": ("PUT", f"/v2/{NAME}/manifests/broken", {
        "data": b"{not json", "headers": {"Content-Type": OCI_MANIFEST}}, 400, ("MANIFEST_INVALID",)),
    "manifest blob unknown": ("PUT", f"/v2/{NAME}/manifests/orphan", {
        "data": MANIFESTS[2].body, "headers": {"Content-Type": OCI_MANIFEST}}, 400, ("MANIFEST_BLOB_UNKNOWN",)),
    "digest invalid on single POST": ("POST", f"/v2/{NAME}/blobs/uploads/", {
        "params": {"digest": DUMMY_DIGEST}, "data": b"not the dummy content",
        "headers": {"Content-Type": OCTET_STREAM}}, 400, ("DIGEST_INVALID",)),
    "name invalid": ("GET", "/v2/Conformance/UPPER/tags/list", {}, (400, 404), ("NAME_INVALID",)),
    "malformed digest": ("GET", f"/v2/{NAME}/blobs/sha256:short", {}, (400, 404), ("DIGEST_INVALID", "BLOB_UNKNOWN")),
    "bad page size": ("GET", f"/v2/{NAME}/tags/list", {"params": {"n": "abc"}}, 400, ("UNSUPPORTED",)),
    "no such endpoint": ("GET", f"/v2/{NAME}/blobs/", {}, 404, ("UNSUPPORTED",)),
}


@pytest.mark.parametrize("case", list(ERROR_CASES))
def test_error_body_shape(oci, case):
    """01_pull_test.go › Error codes (generalised) and spec "Error Codes": a 4xx JSON body is
    {"errors": [{"code": <one of the spec's codes>, "message": <string>, ...}]} with Content-Type application/json;
    SPEC 6.1 makes every Outpost error such a body. One request per error code the API can produce without auth."""
    oci.push_blob(NAME, CONFIGS[0])  # the repository exists
    method, path, kwargs, status, codes = ERROR_CASES[case]
    assert_oci_error(oci.request(method, path, **kwargs), status, *codes)
