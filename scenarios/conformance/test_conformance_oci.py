"""The OCI Distribution API at the cloud (SPEC 6.1, 6.2, 3.6): push, pull, tag list, referrers, mount, deletes and
the error format, with the cloud credentials of the endpoints file, in repositories of this run only
(`cloud.scratchRepository`/<run>-<purpose>).

These are the black-box core of distribution-spec v1.1 that any registry serving connected registries must pass;
tests/integration/test_conformance.py mirrors the spec's own conformance suite in full against `outpost serve`.
"""

from __future__ import annotations

import hashlib
import json
import os
import urllib.parse

import pytest

from conformance_content import OCI_INDEX, OCI_MANIFEST, canonical, make_image, make_index, make_referrer, sha256
from conformance_deployment import ADD_ADMIN, Deployment
from conformance_http import Client, check, expect_error, expect_status, oci_error_shape_problem, with_query

MiB = 1024 * 1024


@pytest.fixture
def cloud(deployment: Deployment) -> Client:
    """The cloud with the file's credentials (anonymous when it gives none: an open registry serves that way)."""
    return deployment.cloud()


def _push_blob(cloud: Client, repository: str, data: bytes) -> str:
    digest = sha256(data)
    expect_status(cloud.push_blob(repository, data, digest), 201, f"cloud: blob upload to {repository}")
    return digest


def _push(deployment: Deployment, cloud: Client, repository: str, image, reference: str):
    answer = cloud.push_image(repository, image, reference)
    expect_status(answer, 201, f"cloud: manifest PUT {repository}:{reference}")
    deployment.pushed_at_cloud.append((repository, image.digest))
    return answer


# --- blobs -----------------------------------------------------------------------------------------------------------


@pytest.mark.spec("6.1")
def test_blob_upload_post_put_then_head_and_get(deployment: Deployment, cloud: Client):
    """Upload in a session (POST 202 + Location, PUT ?digest 201 + Location), then HEAD (200, Content-Length, the
    digest header when sent) and GET (the bytes)."""
    repository = deployment.scratch("blobs")
    data = os.urandom(3000)
    digest = sha256(data)
    started = expect_status(cloud.request("POST", f"/v2/{repository}/blobs/uploads/"), 202,
                            f"cloud: POST upload to {repository}")
    check("Location" in started.headers, "cloud: the 202 of an upload start has no Location", started)
    done = expect_status(cloud.request("PUT", with_query(started.headers["Location"], digest=digest), data=data,
                                       headers={"Content-Type": "application/octet-stream"}),
                         201, "cloud: PUT of the upload")
    check("Location" in done.headers, "cloud: the 201 of a finished upload has no Location", done)
    head = expect_status(cloud.request("HEAD", f"/v2/{repository}/blobs/{digest}"), 200, "cloud: HEAD blob")
    check(head.headers.get("Content-Length") == str(len(data)),
          f"cloud: HEAD Content-Length {head.headers.get('Content-Length')}, expected {len(data)}", head)
    check(head.headers.get("Docker-Content-Digest") in (None, digest), "cloud: HEAD names another digest", head)
    got = expect_status(cloud.get(f"/v2/{repository}/blobs/{digest}"), 200, "cloud: GET blob")
    check(got.content == data, "cloud: the blob's bytes differ from those uploaded", got)


@pytest.mark.spec("6.1")
def test_blob_single_post_upload(deployment: Deployment, cloud: Client):
    """POST with `?digest=` and the body: 201 (monolithic upload in one request)."""
    repository = deployment.scratch("blobs")
    data = os.urandom(512)
    answer = cloud.request("POST", f"/v2/{repository}/blobs/uploads/?digest={sha256(data)}", data=data,
                           headers={"Content-Type": "application/octet-stream"})
    expect_status(answer, 201, "cloud: single-POST blob upload")


@pytest.mark.spec("6.1")
def test_blob_range_request(deployment: Deployment, cloud: Client):
    """GET with `Range: bytes=a-b` -> 206 and those bytes (SPEC 6.1: blob GET with Range; sync resumes with it)."""
    repository = deployment.scratch("blobs")
    data = os.urandom(4096)
    digest = _push_blob(cloud, repository, data)
    answer = expect_status(cloud.get(f"/v2/{repository}/blobs/{digest}", headers={"Range": "bytes=100-199"}), 206,
                           "cloud: GET blob with Range: bytes=100-199")
    check(answer.content == data[100:200], "cloud: the ranged GET returned other bytes", answer)


@pytest.mark.spec("6.1")
def test_chunked_upload_with_status_and_content_range(deployment: Deployment, cloud: Client):
    """PATCH chunks with Content-Range, GET the session's status (204, Range 0-<end>), PUT to finish."""
    repository = deployment.scratch("blobs")
    data = os.urandom(10000)
    started = expect_status(cloud.request("POST", f"/v2/{repository}/blobs/uploads/"), 202, "cloud: upload start")
    location = started.headers.get("Location", "")
    first = expect_status(cloud.request("PATCH", location, data=data[:6000],
                                        headers={"Content-Type": "application/octet-stream",
                                                 "Content-Range": "0-5999", "Content-Length": "6000"}),
                          202, "cloud: PATCH chunk 0-5999")
    location = first.headers.get("Location", location)
    status = expect_status(cloud.request("GET", location), 204, "cloud: GET upload status")
    check(status.headers.get("Range") == "0-5999",
          f"cloud: upload status Range {status.headers.get('Range')!r}, expected '0-5999'", status)
    location = status.headers.get("Location", location)
    second = expect_status(cloud.request("PATCH", location, data=data[6000:],
                                         headers={"Content-Type": "application/octet-stream",
                                                  "Content-Range": "6000-9999", "Content-Length": "4000"}),
                           202, "cloud: PATCH chunk 6000-9999")
    location = second.headers.get("Location", location)
    expect_status(cloud.request("PUT", with_query(location, digest=sha256(data))), 201, "cloud: PUT closing the upload")
    got = expect_status(cloud.get(f"/v2/{repository}/blobs/{sha256(data)}"), 200, "cloud: GET the chunked blob")
    check(got.content == data, "cloud: the chunked blob's bytes differ", got)


@pytest.mark.spec("6.1")
def test_upload_cancel(deployment: Deployment, cloud: Client):
    """DELETE on an upload session -> 204; the session is then unknown (404 BLOB_UPLOAD_UNKNOWN)."""
    repository = deployment.scratch("blobs")
    started = expect_status(cloud.request("POST", f"/v2/{repository}/blobs/uploads/"), 202, "cloud: upload start")
    location = started.headers.get("Location", "")
    expect_status(cloud.request("DELETE", location), 204, "cloud: DELETE upload session")
    expect_error(cloud.request("GET", location), 404, "BLOB_UPLOAD_UNKNOWN", "cloud: status of a cancelled upload")


@pytest.mark.spec("6.1", "6.2")
def test_upload_with_wrong_digest_is_refused(deployment: Deployment, cloud: Client):
    """A PUT whose `digest` does not match the bytes -> 400 DIGEST_INVALID (and the blob is not stored)."""
    repository = deployment.scratch("blobs")
    data = os.urandom(256)
    wrong = "sha256:" + hashlib.sha256(b"something else " + data).hexdigest()
    answer = cloud.push_blob(repository, data, wrong)
    expect_error(answer, 400, "DIGEST_INVALID", "cloud: blob upload with a digest that does not match")
    expect_status(cloud.request("HEAD", f"/v2/{repository}/blobs/{wrong}"), 404, "cloud: HEAD of the refused blob")


@pytest.mark.spec("6.1", "3.6")
def test_cross_repository_mount(deployment: Deployment, cloud: Client):
    """POST ?mount=<digest>&from=<repo> -> 201 with Location; the blob is then in the target repository."""
    source, target = deployment.scratch("mount-from"), deployment.scratch("mount-to")
    digest = _push_blob(cloud, source, os.urandom(700))
    answer = cloud.request("POST", with_query(f"/v2/{target}/blobs/uploads/", mount=digest, **{"from": source}))
    expect_status(answer, 201, f"cloud: mount {digest[:19]} from {source} into {target}")
    check("Location" in answer.headers, "cloud: the 201 of a mount has no Location", answer)
    expect_status(cloud.request("HEAD", f"/v2/{target}/blobs/{digest}"), 200, "cloud: HEAD of the mounted blob")


@pytest.mark.spec("3.6", "6.1")
def test_blob_is_readable_only_where_referenced(deployment: Deployment, cloud: Client):
    """SPEC 3.6: a blob stored once per digest is readable only in repositories that hold it: GET by digest in
    another repository is 404 BLOB_UNKNOWN."""
    digest = _push_blob(cloud, deployment.scratch("owner"), os.urandom(900))
    other = deployment.scratch("stranger")
    _push_blob(cloud, other, os.urandom(10))  # the repository exists, without that blob
    expect_error(cloud.get(f"/v2/{other}/blobs/{digest}"), 404, "BLOB_UNKNOWN",
                 f"cloud: GET blob {digest[:19]} in a repository that never held it")


# --- manifests -------------------------------------------------------------------------------------------------------


@pytest.mark.spec("6.1")
@pytest.mark.parametrize("kind", ["oci", "docker"])
def test_manifest_push_and_pull_by_tag_and_digest(deployment: Deployment, cloud: Client, kind: str):
    """Manifest PUT by tag (201, Location, digest header when sent); GET by tag and by digest give the same bytes
    with the media type; HEAD is 200 (OCI and Docker v2 schema 2 media types)."""
    repository = deployment.scratch("manifests")
    image = make_image(f"manifest {kind} {deployment.run_id}", docker=kind == "docker")
    tag = f"v-{kind}"
    pushed = _push(deployment, cloud, repository, image, tag)
    check("Location" in pushed.headers, "cloud: the 201 of a manifest PUT has no Location", pushed)
    check(pushed.headers.get("Docker-Content-Digest") in (None, image.digest),
          f"cloud: the PUT names digest {pushed.headers.get('Docker-Content-Digest')}, expected {image.digest}", pushed)
    for reference in (tag, image.digest):
        got = expect_status(cloud.manifest(repository, reference), 200, f"cloud: GET {repository} manifest {reference}")
        check(got.content == image.manifest, f"cloud: GET {reference} returned other bytes", got)
        check(got.headers.get("Content-Type", "").split(";")[0] == image.media_type,
              f"cloud: Content-Type {got.headers.get('Content-Type')!r}, expected {image.media_type}", got)
        head = expect_status(cloud.manifest(repository, reference, method="HEAD"), 200, f"cloud: HEAD {reference}")
        check(head.headers.get("Docker-Content-Digest") in (None, image.digest), "cloud: HEAD names another digest",
              head)


@pytest.mark.spec("6.1")
def test_image_index(deployment: Deployment, cloud: Client):
    """An image index whose manifests are in the repository is accepted and served with its media type."""
    repository = deployment.scratch("index")
    children = [make_image(f"index child {n} {deployment.run_id}") for n in range(2)]
    for child in children:
        _push(deployment, cloud, repository, child, child.digest)
    index = make_index(children)
    _push(deployment, cloud, repository, index, "multi")
    got = expect_status(cloud.manifest(repository, "multi"), 200, "cloud: GET the index")
    check(got.content == index.manifest and got.headers.get("Content-Type", "").startswith(OCI_INDEX),
          "cloud: the index reads back with other bytes or another media type", got)


@pytest.mark.spec("6.2")
def test_manifest_referencing_a_missing_blob_is_refused(deployment: Deployment, cloud: Client):
    """SPEC 6.2: every blob a manifest references must exist in the repository -> 400 MANIFEST_BLOB_UNKNOWN."""
    repository = deployment.scratch("invalid")
    image = make_image(f"missing blobs {deployment.run_id}")
    answer = cloud.put_manifest(repository, "missing", image.manifest, image.media_type)
    expect_error(answer, 400, ("MANIFEST_BLOB_UNKNOWN", "BLOB_UNKNOWN"),
                 "cloud: manifest PUT whose blobs were never pushed")


@pytest.mark.spec("6.2")
def test_malformed_manifest_is_refused(deployment: Deployment, cloud: Client):
    """SPEC 6.2: a body that is not a manifest of its media type -> 400 MANIFEST_INVALID."""
    repository = deployment.scratch("invalid")
    answer = cloud.put_manifest(repository, "broken", b'{"schemaVersion": 2, "layers": "not a list"', OCI_MANIFEST)
    expect_error(answer, 400, "MANIFEST_INVALID", "cloud: manifest PUT of malformed JSON")


@pytest.mark.spec("6.2")
def test_invalid_tag_and_name_are_refused(deployment: Deployment, cloud: Client):
    """SPEC 6.2: a tag outside `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}` -> 400 TAG_INVALID (or MANIFEST_INVALID); an
    upper-case repository name -> 400 NAME_INVALID (or 404 NAME_UNKNOWN where the route cannot match it)."""
    repository = deployment.scratch("invalid")
    image = make_image(f"bad tag {deployment.run_id}")
    for digest, data in image.blobs.items():
        expect_status(cloud.push_blob(repository, data, digest), 201, "cloud: blob upload")
    answer = cloud.put_manifest(repository, "-starts-with-dash", image.manifest, image.media_type)
    expect_error(answer, 400, ("TAG_INVALID", "MANIFEST_INVALID"), "cloud: manifest PUT with tag '-starts-with-dash'")
    upper = repository.replace("conformance", "Conformance", 1) if "conformance" in repository else "Upper/Case"
    answer = cloud.request("POST", f"/v2/{upper}/blobs/uploads/")
    expect_error(answer, 400, "NAME_INVALID", f"cloud: upload to repository {upper!r}")


@pytest.mark.spec("6.2")
def test_manifest_over_4_mib_is_refused(deployment: Deployment, cloud: Client):
    """SPEC 6.2: manifests are limited to 4 MiB: a bigger one -> 413 (MANIFEST_INVALID or SIZE_INVALID)."""
    repository = deployment.scratch("invalid")
    image = make_image(f"big {deployment.run_id}")
    for digest, data in image.blobs.items():
        expect_status(cloud.push_blob(repository, data, digest), 201, "cloud: blob upload")
    document = json.loads(image.manifest)
    document["annotations"] = {"padding": "x" * (4 * MiB + 1024)}
    answer = cloud.put_manifest(repository, "too-big", canonical(document), OCI_MANIFEST)
    expect_status(answer, 413, "cloud: manifest PUT of 4 MiB + 1 KiB")
    problem = oci_error_shape_problem(answer)
    check(problem is None, f"cloud: the 413 is not in the OCI error format ({problem})", answer)


# --- tags, referrers, catalog ----------------------------------------------------------------------------------------


@pytest.mark.spec("6.1")
def test_tag_list_with_pagination(deployment: Deployment, cloud: Client):
    """tags/list lists every tag in lexical order; `n` limits the page and announces the next with a `Link` header;
    `last` starts after that tag."""
    repository = deployment.scratch("tags")
    image = make_image(f"tags {deployment.run_id}")
    tags = ["alpha", "bravo", "charlie", "delta"]
    for tag in tags:
        _push(deployment, cloud, repository, image, tag)
    whole = expect_status(cloud.tags(repository), 200, "cloud: tags/list")
    check(whole.json().get("name") == repository and whole.json().get("tags") == tags,
          f"cloud: tags/list answered {whole.json()}, expected name {repository} and tags {tags}", whole)
    page = expect_status(cloud.tags(repository, n=2), 200, "cloud: tags/list?n=2")
    check(page.json().get("tags") == tags[:2], f"cloud: tags/list?n=2 answered {page.json().get('tags')}", page)
    link = page.headers.get("Link", "")
    check('rel="next"' in link, f"cloud: tags/list?n=2 has no Link rel=\"next\" header (got {link!r})", page)
    next_url = link.split(";")[0].strip().strip("<>")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(next_url).query)
    rest = expect_status(cloud.get(next_url), 200, f"cloud: the Link {next_url}")
    check(rest.json().get("tags") == tags[2:4], f"cloud: the next page ({query}) answered {rest.json().get('tags')}",
          rest)
    after = expect_status(cloud.tags(repository, last="bravo"), 200, "cloud: tags/list?last=bravo")
    check(after.json().get("tags") == tags[2:], f"cloud: tags/list?last=bravo answered {after.json().get('tags')}",
          after)


@pytest.mark.spec("6.1")
def test_referrers_api(deployment: Deployment, cloud: Client):
    """A manifest with `subject` -> 201 with `OCI-Subject`; the referrers API lists it (an image index with
    artifactType), filters by `artifactType` (saying so in `OCI-Filters-Applied`), and answers an empty index for a
    digest nothing refers to."""
    repository = deployment.scratch("referrers")
    subject = make_image(f"subject {deployment.run_id}")
    _push(deployment, cloud, repository, subject, "subject")
    notes = make_referrer(subject, "application/vnd.conformance.note", "note")
    sbom = make_referrer(subject, "application/vnd.conformance.sbom", "sbom")
    for artifact in (notes, sbom):
        pushed = _push(deployment, cloud, repository, artifact, artifact.digest)
        check(pushed.headers.get("OCI-Subject") == subject.digest,
              f"cloud: manifest PUT with a subject answered OCI-Subject {pushed.headers.get('OCI-Subject')!r}, "
              f"expected {subject.digest}", pushed)
    listed = expect_status(cloud.get(f"/v2/{repository}/referrers/{subject.digest}"), 200, "cloud: GET referrers")
    check(listed.headers.get("Content-Type", "").startswith(OCI_INDEX),
          f"cloud: referrers Content-Type {listed.headers.get('Content-Type')!r}, expected {OCI_INDEX}", listed)
    entries = {m.get("digest"): m for m in listed.json().get("manifests") or []}
    check(set(entries) == {notes.digest, sbom.digest},
          f"cloud: referrers listed {sorted(entries)}, expected the two artifacts", listed)
    check(entries[notes.digest].get("artifactType") == "application/vnd.conformance.note",
          "cloud: a referrer's descriptor lacks its artifactType", listed)
    filtered = expect_status(cloud.get(f"/v2/{repository}/referrers/{subject.digest}",
                                       params={"artifactType": "application/vnd.conformance.sbom"}),
                             200, "cloud: GET referrers?artifactType=...sbom")
    check([m.get("digest") for m in filtered.json().get("manifests") or []] == [sbom.digest]
          and filtered.headers.get("OCI-Filters-Applied") == "artifactType",
          "cloud: the artifactType filter was not applied (or OCI-Filters-Applied is missing)", filtered)
    nothing = expect_status(cloud.get(f"/v2/{repository}/referrers/{sha256(os.urandom(16))}"), 200,
                            "cloud: GET referrers of a digest nothing refers to")
    check(nothing.json().get("manifests") == [], "cloud: referrers of an unknown digest is not an empty index",
          nothing)


@pytest.mark.spec("6.1", "3.6")
def test_catalog_lists_the_repositories(deployment: Deployment, cloud: Client):
    """`_catalog` lists repositories (SPEC 3.6: at the cloud, for the admin user or a token whose rules include `*`),
    and paginates with `n`."""
    if deployment.endpoints.cloud.admin is None and deployment.endpoints.cloud.token is not None:
        pytest.skip("the catalog is served to the admin user or a token whose rules include `*` (SPEC 3.6), and the "
                    "endpoints file gives cloud.token, whose rules the runner cannot see, so the catalog is not "
                    f"checked: {ADD_ADMIN}")
    repository = deployment.scratch("catalog")
    _push_blob(cloud, repository, os.urandom(64))
    image = make_image(f"catalog {deployment.run_id}")
    _push(deployment, cloud, repository, image, "listed")
    seen: list[str] = []
    path = "/v2/_catalog?n=100"
    for _ in range(1000):  # a bounded walk over the pages
        page = expect_status(cloud.get(path), 200, f"cloud: GET {path}")
        seen += page.json().get("repositories") or []
        link = page.headers.get("Link", "")
        if repository in seen or 'rel="next"' not in link:
            break
        path = link.split(";")[0].strip().strip("<>")
    check(repository in seen, f"cloud: _catalog does not list {repository} (saw {len(seen)} repositories)")


# --- deletes ---------------------------------------------------------------------------------------------------------


@pytest.mark.spec("6.1")
def test_delete_manifest_by_digest(deployment: Deployment, cloud: Client):
    """DELETE of a manifest by digest -> 202; then GET by digest and by its tag -> 404 MANIFEST_UNKNOWN."""
    repository = deployment.scratch("deletes")
    image = make_image(f"delete {deployment.run_id}")
    _push(deployment, cloud, repository, image, "doomed")
    expect_status(cloud.delete_manifest(repository, image.digest), 202, "cloud: DELETE manifest by digest")
    for reference in (image.digest, "doomed"):
        expect_error(cloud.manifest(repository, reference), 404, "MANIFEST_UNKNOWN",
                     f"cloud: GET {reference} after the delete")


@pytest.mark.spec("6.1")
def test_delete_tag_keeps_the_manifest(deployment: Deployment, cloud: Client):
    """DELETE of a manifest by tag (untag) -> 202; the tag is gone, the manifest stays readable by digest."""
    repository = deployment.scratch("deletes")
    image = make_image(f"untag {deployment.run_id}")
    _push(deployment, cloud, repository, image, "keep")
    _push(deployment, cloud, repository, image, "drop")
    expect_status(cloud.delete_manifest(repository, "drop"), 202, "cloud: DELETE manifest by tag")
    expect_error(cloud.manifest(repository, "drop"), 404, "MANIFEST_UNKNOWN", "cloud: GET the deleted tag")
    expect_status(cloud.manifest(repository, image.digest), 200, "cloud: GET by digest after the untag")


@pytest.mark.spec("6.1")
def test_delete_blob(deployment: Deployment, cloud: Client):
    """DELETE of a blob -> 202; then HEAD -> 404."""
    repository = deployment.scratch("deletes")
    digest = _push_blob(cloud, repository, os.urandom(333))
    expect_status(cloud.request("DELETE", f"/v2/{repository}/blobs/{digest}"), 202, "cloud: DELETE blob")
    expect_status(cloud.request("HEAD", f"/v2/{repository}/blobs/{digest}"), 404, "cloud: HEAD of the deleted blob")


# --- errors ----------------------------------------------------------------------------------------------------------


@pytest.mark.spec("6.1")
def test_unknown_objects_answer_oci_errors(deployment: Deployment, cloud: Client):
    """Unknown blob -> 404 BLOB_UNKNOWN, unknown manifest -> 404 MANIFEST_UNKNOWN, tags of an unknown repository ->
    404 NAME_UNKNOWN, each in the JSON error format `{"errors": [{"code", "message", "detail"?}]}`."""
    known = deployment.scratch("errors")
    _push_blob(cloud, known, os.urandom(32))
    missing = sha256(os.urandom(32))
    expect_error(cloud.get(f"/v2/{known}/blobs/{missing}"), 404, "BLOB_UNKNOWN", "cloud: GET of an unknown blob")
    expect_error(cloud.manifest(known, "no-such-tag"), 404, "MANIFEST_UNKNOWN", "cloud: GET of an unknown tag")
    expect_error(cloud.manifest(known, missing), 404, "MANIFEST_UNKNOWN", "cloud: GET of an unknown manifest digest")
    expect_error(cloud.tags(deployment.scratch("never-pushed")), 404, "NAME_UNKNOWN",
                 "cloud: tags/list of a repository never pushed")
