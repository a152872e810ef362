"""Round trips through the registry with skopeo, a real client built on containers/image.

Each test gives skopeo a cache of its own (XDG_DATA_HOME under tmp_path, and _CONTAINERS_ROOTLESS_UID so that running as
root does not send it to the machine-wide cache): a blob-info cache shared between tests would let skopeo skip or mount
blobs because of what an earlier test pushed, and the tests would no longer show what the registry does on its own.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import requests

from conftest import ADMIN_PASSWORD, ADMIN_USER
from oci_layout import (
    OCI_INDEX,
    OCI_MANIFEST,
    OciLayout,
    blob_path,
    read_ref,
    sha256_bytes,
    sha256_file,
)

DOCKER_V2_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MANIFEST_ACCEPT = ", ".join([OCI_MANIFEST, OCI_INDEX, DOCKER_V2_MANIFEST,
                             "application/vnd.docker.distribution.manifest.list.v2+json"])
SKOPEO_TIMEOUT = 300  # seconds; the largest copy here moves about 10 MiB
HTTP_TIMEOUT = 60

pytestmark = pytest.mark.skipif(shutil.which("skopeo") is None, reason="skopeo is not installed")


# The fixtures' admin user (conftest.py): skopeo logs in with it through the Bearer token flow (SPEC 3.4).
ADMIN_CREDS = f"{ADMIN_USER}:{ADMIN_PASSWORD}"


class Skopeo:
    """Runs skopeo with an isolated cache and auth file, against a plain-HTTP registry."""

    def __init__(self, home: Path):
        home.mkdir(parents=True, exist_ok=True)
        (home / "xdg").mkdir(exist_ok=True)
        auth = home / "auth.json"
        auth.write_text('{"auths": {}}')
        self.env = dict(os.environ)
        self.env.update({
            "XDG_DATA_HOME": str(home / "xdg"),
            "_CONTAINERS_ROOTLESS_UID": "1000",
            "REGISTRY_AUTH_FILE": str(auth),
        })

    def run(self, *args: str) -> subprocess.CompletedProcess:
        command = ["skopeo", *args]
        result = subprocess.run(command, env=self.env, capture_output=True, timeout=SKOPEO_TIMEOUT)
        assert result.returncode == 0, (
            f"{' '.join(command)} exited {result.returncode}\n"
            f"stdout: {result.stdout.decode(errors='replace')}\nstderr: {result.stderr.decode(errors='replace')}")
        return result

    def copy(self, source: str, destination: str, *options: str) -> None:
        self.run("copy", "--src-tls-verify=false", "--dest-tls-verify=false", "--src-creds", ADMIN_CREDS,
                 "--dest-creds", ADMIN_CREDS, *options, source, destination)


@pytest.fixture
def skopeo(tmp_path: Path) -> Skopeo:
    return Skopeo(tmp_path / "skopeo")


def docker_ref(registry, repository: str, tag: str | None = None) -> str:
    return f"docker://{registry.address}/{repository}" + (f":{tag}" if tag else "")


def get_manifest(registry, repository: str, reference: str, accept: str = MANIFEST_ACCEPT) -> requests.Response:
    response = requests.get(f"{registry.url}/v2/{repository}/manifests/{reference}", headers={"Accept": accept},
                            timeout=HTTP_TIMEOUT)
    assert response.status_code == 200, f"GET manifest {repository}:{reference}: {response.status_code} {response.text}"
    return response


def assert_blobs_identical(source_root: Path, copy_root: Path, digests: list[str]) -> None:
    for digest in digests:
        original = blob_path(source_root, digest)
        copied = blob_path(copy_root, digest)
        assert copied.is_file(), f"{digest} missing from the copy"
        assert sha256_file(original) == digest
        assert sha256_file(copied) == digest, f"{digest}: copied bytes differ"


def test_oci_image_round_trip_preserves_every_digest(registry, skopeo, tmp_path):
    layout = OciLayout(tmp_path / "source")
    # Three layers of both layer media types and of sizes around skopeo's and the registry's buffer sizes.
    layers = [
        layout.add_layer(8 * 1024 * 1024 + 123, compression="gzip"),
        layout.add_layer(65 * 1024, compression="none"),
        layout.add_layer(1, compression="gzip"),
    ]
    image = layout.add_image(layers, ref="v1")
    assert len(image.layers) == 3

    skopeo.copy(f"oci:{layout.root}:v1", docker_ref(registry, "round/trip", "v1"), "--preserve-digests")

    served = get_manifest(registry, "round/trip", "v1")
    assert served.content == image.manifest_bytes
    assert served.headers.get("Docker-Content-Digest") == image.manifest.digest

    out = tmp_path / "out"
    skopeo.copy(docker_ref(registry, "round/trip", "v1"), f"oci:{out}:copied", "--preserve-digests")

    copied = read_ref(out, "copied")
    assert copied["digest"] == image.manifest.digest
    assert copied["mediaType"] == OCI_MANIFEST
    assert copied["size"] == image.manifest.size
    assert_blobs_identical(layout.root, out, image.digests)


def test_multi_platform_index_round_trip_with_all(registry, skopeo, tmp_path):
    layout = OciLayout(tmp_path / "source")
    index = layout.add_index([300 * 1024, 2 * 1024 * 1024 + 7], ref="multi")
    assert {json.loads(image.config_bytes)["architecture"] for image in index.images} == {"amd64", "arm64"}

    skopeo.copy(f"oci:{layout.root}:multi", docker_ref(registry, "multi/arch", "latest"), "--all",
                "--preserve-digests")

    served = get_manifest(registry, "multi/arch", "latest")
    assert served.content == index.index_bytes
    assert served.headers.get("Docker-Content-Digest") == index.index.digest
    assert served.headers.get("Content-Type", "").split(";")[0].strip() == OCI_INDEX
    for image in index.images:
        child = get_manifest(registry, "multi/arch", image.manifest.digest)
        assert child.content == image.manifest_bytes

    out = tmp_path / "out"
    skopeo.copy(docker_ref(registry, "multi/arch", "latest"), f"oci:{out}:multi", "--all", "--preserve-digests")

    copied = read_ref(out, "multi")
    assert copied["digest"] == index.index.digest
    assert copied["mediaType"] == OCI_INDEX
    assert blob_path(out, index.index.digest).read_bytes() == index.index_bytes
    for image in index.images:
        assert blob_path(out, image.manifest.digest).read_bytes() == image.manifest_bytes
    assert_blobs_identical(layout.root, out, index.digests)


def test_docker_v2_schema2_digest_is_stable(registry, skopeo, tmp_path):
    layout = OciLayout(tmp_path / "source")
    layout.add_image([512 * 1024, 3 * 1024 * 1024, 10], ref="v1", compression="gzip")

    skopeo.copy(f"oci:{layout.root}:v1", docker_ref(registry, "docker/format", "v2"), "--format", "v2s2")

    by_tag = get_manifest(registry, "docker/format", "v2", accept=DOCKER_V2_MANIFEST)
    assert by_tag.headers.get("Content-Type", "").split(";")[0].strip() == DOCKER_V2_MANIFEST
    assert json.loads(by_tag.content)["mediaType"] == DOCKER_V2_MANIFEST
    digest = sha256_bytes(by_tag.content)
    assert by_tag.headers.get("Docker-Content-Digest") == digest

    by_digest = get_manifest(registry, "docker/format", digest, accept=DOCKER_V2_MANIFEST)
    assert by_digest.content == by_tag.content
    assert sha256_bytes(by_digest.content) == digest
    assert by_digest.headers.get("Docker-Content-Digest") == digest

    head = requests.head(f"{registry.url}/v2/docker/format/manifests/v2", headers={"Accept": DOCKER_V2_MANIFEST},
                         timeout=HTTP_TIMEOUT)
    assert head.status_code == 200
    assert head.headers.get("Docker-Content-Digest") == digest
    assert int(head.headers["Content-Length"]) == len(by_tag.content)

    # Out to a `dir:` copy (which keeps the manifest bytes as served) and back in under another name: the registry
    # must store exactly what it was given, so the digest cannot move.
    exported = tmp_path / "exported"
    skopeo.copy(docker_ref(registry, "docker/format", "v2"), f"dir:{exported}")
    assert (exported / "manifest.json").read_bytes() == by_tag.content
    skopeo.copy(f"dir:{exported}", docker_ref(registry, "docker/format-again", "v2"), "--preserve-digests")

    again = get_manifest(registry, "docker/format-again", "v2", accept=DOCKER_V2_MANIFEST)
    assert again.content == by_tag.content
    assert again.headers.get("Docker-Content-Digest") == digest


def test_inspect_raw_and_list_tags(registry, skopeo, tmp_path):
    layout = OciLayout(tmp_path / "source")
    image = layout.add_image([4096, 8192], ref="v1")
    index = layout.add_index([1024], ref="multi")
    tags = ["1.0", "latest", "v1"]
    for tag in tags:
        skopeo.copy(f"oci:{layout.root}:v1", docker_ref(registry, "inspect/me", tag), "--preserve-digests")
    skopeo.copy(f"oci:{layout.root}:multi", docker_ref(registry, "inspect/me", "multi"), "--all",
                "--preserve-digests")

    raw = skopeo.run("inspect", "--raw", "--tls-verify=false", "--creds", ADMIN_CREDS, docker_ref(registry, "inspect/me", "latest")).stdout
    assert raw == image.manifest_bytes
    assert sha256_bytes(raw) == image.manifest.digest

    raw_index = skopeo.run("inspect", "--raw", "--tls-verify=false", "--creds", ADMIN_CREDS,
                           docker_ref(registry, "inspect/me", "multi")).stdout
    assert raw_index == index.index_bytes

    inspected = json.loads(skopeo.run("inspect", "--tls-verify=false", "--creds", ADMIN_CREDS,
                                      docker_ref(registry, "inspect/me", "1.0")).stdout)
    assert inspected["Digest"] == image.manifest.digest
    assert inspected["Layers"] == [layer.descriptor.digest for layer in image.layers]

    listed = json.loads(skopeo.run("list-tags", "--tls-verify=false", "--creds", ADMIN_CREDS, docker_ref(registry, "inspect/me")).stdout)
    assert listed["Repository"] == f"{registry.address}/inspect/me"
    assert sorted(listed["Tags"]) == sorted(tags + ["multi"])
