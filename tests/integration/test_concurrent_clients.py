"""Many clients at once against one `outpost serve`: what the server's threads must keep whole.

The other integration tests send one request at a time, so they cannot see what the server does when requests meet:
two uploads of the same blob, manifests pushed to one tag at once, reads of a token while the management API replaces
the snapshot it lives in. Here several clients run such sequences together, each started by one barrier so that they
overlap, and each bounded by a count of rounds (no timing, no sleeps). CI also runs this file against a server built
with ThreadSanitizer (docs/building.md), which is where a race shows even when the answers happen to come out right.

What must hold (SPEC 6: verify digests, write atomically; SPEC 4.1: a token change applies from the next request):
  - no answer is a 5xx, and every answer is one the spec allows for what was asked;
  - every blob and manifest read back is byte-for-byte what was pushed;
  - afterwards every tag resolves to a manifest that was pushed to it, and every blob it names is whole;
  - a token works from the request after its creation answered and is refused from the request after its deletion
    answered, whatever other clients are doing to other tokens meanwhile.
"""

from __future__ import annotations

import base64
import concurrent.futures
import socket
import threading
import urllib.parse

import requests

from conftest import ADMIN_PASSWORD, ADMIN_USER
from oci_client import Blob, OciClient, digest_of, expect_status, location_path, make_config, make_image, random_bytes

WORKERS = 6
ROUNDS = 8
REPOSITORY = "race/app"
STEADY_PULLS = 6  # per round, by each of the two workers that only read
BARRIER_TIMEOUT = 30.0  # seconds for every worker to reach the start line


def run_together(count: int, work) -> list[str]:
    """Runs work(index, barrier) on `count` threads that start together; returns every problem they reported."""
    barrier = threading.Barrier(count, timeout=BARRIER_TIMEOUT)
    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        futures = [pool.submit(work, index, barrier) for index in range(count)]
        problems: list[str] = []
        for future in futures:
            problems.extend(future.result())
    return problems


def answer(problems: list[str], what: str, response: requests.Response, *allowed: int) -> requests.Response:
    if response.status_code not in allowed:
        problems.append(f"{what}: {response.status_code} (allowed {allowed}) {response.text[:300]}")
    return response


def push_blob(client: OciClient, problems: list[str], blob: Blob, how: str) -> None:
    """Pushes `blob` one of three ways (spec "Pushing blobs"): POST then PUT, a single POST, or two chunked PATCHes.
    A wrong answer is kept in `problems` (with the whole exchange) rather than raised, so every worker runs to its
    end."""
    try:
        if how == "chunked":
            client.push_blob_chunked(REPOSITORY, blob, chunk_size=(blob.size + 1) // 2)
        elif how == "monolithic":
            # A single POST with the digest may also be answered 202 with an upload to finish (end-4b).
            response = expect_status(client.push_blob_monolithic(REPOSITORY, blob), 201, 202)
            if response.status_code == 202:
                expect_status(client.put(location_path(response), params={"digest": blob.digest}, data=blob.data), 201)
        else:
            client.push_blob(REPOSITORY, blob)
    except AssertionError as wrong:
        problems.append(f"push {blob.digest} ({how}): {wrong}")


def read_blob(client: OciClient, problems: list[str], blob_digest: str) -> None:
    response = answer(problems, f"GET blob {blob_digest}", client.get_blob(REPOSITORY, blob_digest), 200)
    if response.status_code == 200 and digest_of(response.content) != blob_digest:
        problems.append(f"GET blob {blob_digest}: read back {digest_of(response.content)}")


# The layer every worker uploads in every round: uploads of one digest meet in the blob store.
SHARED_LAYER = Blob(random_bytes(96 * 1024, "shared layer"))
WAYS = ("post-put", "monolithic", "chunked")


def test_clients_pushing_and_pulling_together_leave_every_image_whole(registry):
    pushed_to_latest: set[str] = set()
    pushed_lock = threading.Lock()

    def worker(index: int, barrier: threading.Barrier) -> list[str]:
        problems: list[str] = []
        with OciClient(registry.url) as client:
            barrier.wait()
            for round_ in range(ROUNDS):
                own = Blob(random_bytes(20 * 1024 + round_, f"worker {index} round {round_}"))
                config = make_config(f"worker {index} round {round_}")
                for position, blob in enumerate((SHARED_LAYER, own, config)):
                    push_blob(client, problems, blob, WAYS[(index + round_ + position) % len(WAYS)])
                manifest = make_image(config, [SHARED_LAYER, own])
                tag = f"w{index}-r{round_}"
                answer(problems, f"PUT {tag}", client.put_manifest(REPOSITORY, tag, manifest), 201)
                # Every worker moves one tag: each PUT must land whole, whichever lands last.
                with pushed_lock:
                    pushed_to_latest.add(manifest.digest)
                answer(problems, "PUT latest", client.put_manifest(REPOSITORY, "latest", manifest), 201)

                got = answer(problems, f"GET {tag}", client.get_manifest(REPOSITORY, tag), 200)
                if got.status_code == 200 and got.content != manifest.body:
                    problems.append(f"GET {tag}: not the bytes pushed ({digest_of(got.content)})")
                for blob in (SHARED_LAYER, own, config):
                    read_blob(client, problems, blob.digest)
                answer(problems, "GET tags", client.list_tags(REPOSITORY), 200)

                if round_ % 3 == 2:
                    # A manifest pushed and deleted while the others push: gone by tag and by digest.
                    scratch_config = make_config(f"scratch {index} {round_}")
                    push_blob(client, problems, scratch_config, "post-put")
                    scratch = make_image(scratch_config, [own])
                    scratch_tag = f"scratch-{index}-{round_}"
                    answer(problems, f"PUT {scratch_tag}", client.put_manifest(REPOSITORY, scratch_tag, scratch), 201)
                    answer(problems, f"DELETE {scratch.digest}",
                           client.delete(f"/v2/{REPOSITORY}/manifests/{scratch.digest}"), 202)
                    answer(problems, f"GET deleted {scratch_tag}", client.get_manifest(REPOSITORY, scratch_tag), 404)
                    answer(problems, f"GET deleted {scratch.digest}",
                           client.get_manifest(REPOSITORY, scratch.digest), 404)
        return [f"worker {index}: {problem}" for problem in problems]

    problems = run_together(WORKERS, worker)
    assert not problems, "\n".join(problems)

    # Afterwards: every tag resolves, to what was pushed to it, and every blob it names is whole.
    with OciClient(registry.url) as client:
        tags = client.list_tags(REPOSITORY).json()["tags"]
        expected = {f"w{index}-r{round_}" for index in range(WORKERS) for round_ in range(ROUNDS)} | {"latest"}
        assert set(tags) == expected
        latest = client.get_manifest(REPOSITORY, "latest")
        assert latest.status_code == 200 and digest_of(latest.content) in pushed_to_latest
        final: list[str] = []
        for tag in tags:
            manifest = client.get_manifest(REPOSITORY, tag).json()
            for descriptor in [manifest["config"], *manifest["layers"]]:
                read_blob(client, final, descriptor["digest"])
        assert not final, "\n".join(final)


def test_tokens_created_and_deleted_together_apply_from_the_next_request(registry):
    """SPEC 4.1 under concurrency: each worker creates a token, pulls with it, deletes it and is refused, while the
    others do the same to their own tokens and a long-lived token keeps pulling."""
    with OciClient(registry.url) as admin:
        config = make_config("token race")
        admin.push_image(REPOSITORY, make_image(config, [SHARED_LAYER]), "v1")
    manifest_path = f"/v2/{REPOSITORY}/manifests/v1"
    accept = {"Accept": "application/vnd.oci.image.manifest.v1+json"}

    def create_token(session: requests.Session, name: str) -> tuple[requests.Response, str | None]:
        created = session.put(f"{registry.url}/mgmt/v1/tokens/{name}", json={"scopeMap": "_repositories_pull"},
                              timeout=10)
        password = created.json()["passwords"][0]["value"] if created.status_code == 201 else None
        return created, password

    def pull_as(name: str, password: str) -> requests.Response:
        # A session of its own, without the environment's netrc: only these credentials are sent.
        with requests.Session() as session:
            session.trust_env = False
            return session.get(registry.url + manifest_path, auth=(name, password), headers=accept, timeout=10)

    with requests.Session() as admin_session:
        steady_created, steady_password = create_token(admin_session, "steady-reader")
    assert steady_created.status_code == 201, steady_created.text

    def worker(index: int, barrier: threading.Barrier) -> list[str]:
        problems: list[str] = []
        with requests.Session() as session:  # the environment's netrc: the admin
            barrier.wait()
            for round_ in range(ROUNDS):
                if index < 2:  # the long-lived token, read while the others change the snapshot around it
                    for _ in range(STEADY_PULLS):
                        answer(problems, "steady pull", pull_as("steady-reader", steady_password), 200)
                    continue
                name = f"racer-{index}-{round_}"
                created, password = create_token(session, name)
                answer(problems, f"create {name}", created, 201)
                if password is None:
                    continue
                answer(problems, f"pull as {name}", pull_as(name, password), 200)
                answer(problems, f"delete {name}", session.delete(f"{registry.url}/mgmt/v1/tokens/{name}",
                                                                   timeout=10), 200, 204)
                answer(problems, f"pull as deleted {name}", pull_as(name, password), 401)
        return [f"worker {index}: {problem}" for problem in problems]

    problems = run_together(WORKERS, worker)
    assert not problems, "\n".join(problems)


def test_a_chunk_still_arriving_keeps_the_session_from_a_concurrent_put(registry):
    """One request writes to an upload session at a time (docs/registry.md, "Concurrency"). A PATCH whose headers
    the server has taken (it answered `100 Continue`) but whose body has not come holds the session: a PUT meanwhile
    is refused with 400 BLOB_UPLOAD_INVALID. Before, the PUT committed the session's three bytes, and the PATCH's
    body then went on into the committed file, so the blob was served as `abcTAMPERED` under the digest of `abc`, in
    every repository that pushed `abc` later."""
    with OciClient(registry.url) as client:
        start = expect_status(client.start_upload(REPOSITORY), 202)
        location = location_path(start)
        expect_status(client.patch(location, data=b"abc", headers={"Content-Type": "application/octet-stream"}), 202)
        digest = digest_of(b"abc")

        host, port = urllib.parse.urlsplit(registry.url).hostname, urllib.parse.urlsplit(registry.url).port
        credentials = base64.b64encode(f"{ADMIN_USER}:{ADMIN_PASSWORD}".encode()).decode()
        with socket.create_connection((host, port), timeout=10) as held:
            held.sendall((f"PATCH {location} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Basic {credentials}\r\n"
                          "Content-Type: application/octet-stream\r\nContent-Length: 8\r\n"
                          "Expect: 100-continue\r\n\r\n").encode())
            interim = held.recv(4096)
            assert interim.startswith(b"HTTP/1.1 100"), interim

            refused = client.put(location, params={"digest": digest}, data=b"")
            assert refused.status_code == 400, refused.text
            assert refused.json()["errors"][0]["code"] == "BLOB_UPLOAD_INVALID", refused.text

            held.sendall(b"TAMPERED")
            final = b""
            while b"\r\n\r\n" not in final:
                piece = held.recv(4096)
                assert piece, f"connection closed before the answer: {final!r}"
                final += piece
            assert final.startswith(b"HTTP/1.1 202"), final

        # The session holds abcTAMPERED: not abc. abc pushed elsewhere is stored and served as it is.
        assert client.put(location, params={"digest": digest}, data=b"").status_code == 400
        expect_status(client.post("/v2/victim/app/blobs/uploads/", params={"digest": digest}, data=b"abc",
                                  headers={"Content-Type": "application/octet-stream"}), 201)
        assert expect_status(client.get(f"/v2/victim/app/blobs/{digest}"), 200).content == b"abc"


def _answer_head(connection: socket.socket) -> bytes:
    """The status line and headers of the next answer on `connection`."""
    head = b""
    while b"\r\n\r\n" not in head:
        piece = connection.recv(4096)
        assert piece, f"connection closed before the answer: {head!r}"
        head += piece
    return head


def _closes(connection: socket.socket) -> bool:
    """Whether the server closes `connection` (what it sends first is read and dropped)."""
    try:
        while connection.recv(65536):
            pass
    except ConnectionResetError:
        pass
    return True


def test_a_refusal_comes_without_reading_a_large_body(registry):
    """docs/registry.md, "Errors": an answer decided before the body (here a 401, no credentials) is not held back
    for it. A client waiting for `100 Continue` gets the 401 instead and sends nothing; one sending anyway has at
    most 256 KiB read before the answer, and the connection closes. The server used to answer `100 Continue` and then
    read the whole announced body (10 GB here) before saying 401: any client could make it read without end."""
    host, port = urllib.parse.urlsplit(registry.url).hostname, urllib.parse.urlsplit(registry.url).port
    request = (f"PATCH /v2/{REPOSITORY}/blobs/uploads/some-session HTTP/1.1\r\nHost: {host}:{port}\r\n"
               "Content-Type: application/octet-stream\r\nContent-Length: 10000000000\r\n")
    with socket.create_connection((host, port), timeout=10) as waiting:
        waiting.sendall((request + "Expect: 100-continue\r\n\r\n").encode())
        head = _answer_head(waiting)
        assert head.startswith(b"HTTP/1.1 401"), head
        assert _closes(waiting)
    with socket.create_connection((host, port), timeout=10) as sending:
        sending.sendall((request + "\r\n").encode())
        sending.sendall(b"\0" * (1024 * 1024))  # read and dropped after the answer if it is not read before
        head = _answer_head(sending)
        assert head.startswith(b"HTTP/1.1 401"), head
        assert b"connection: close" in head.lower(), head
        assert _closes(sending)
    # The server goes on serving.
    with OciClient(registry.url) as client:
        expect_status(client.start_upload(REPOSITORY), 202)
