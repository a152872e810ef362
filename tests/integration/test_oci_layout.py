"""Checks of the OCI layout generator itself: the other integration tests trust its digests, so they must be right."""

from __future__ import annotations

import gzip
import hashlib
import json
import tarfile
import tracemalloc

from oci_layout import (
    OCI_INDEX,
    OCI_LAYER_GZIP,
    OCI_LAYER_TAR,
    OCI_MANIFEST,
    REF_NAME,
    OciLayout,
    PseudoRandomBytes,
    read_ref,
    sha256_file,
)

MiB = 1024 * 1024


def test_pseudo_random_ranges_agree_with_the_whole():
    content = PseudoRandomBytes(5 * 1000 + 7, seed="ranges", piece_size=1000)
    whole = content.read_range(0, content.size)
    assert len(whole) == content.size
    for start, end in [(0, 1), (999, 1001), (1234, 4321), (5000, 5007), (5007, 5007)]:
        assert content.read_range(start, end) == whole[start:end]
    assert all(len(piece) <= 300 for piece in content.iter_range(10, 2000, max_piece=300))
    assert content.digest == "sha256:" + hashlib.sha256(whole).hexdigest()
    assert PseudoRandomBytes(100, seed="other").read_range(0, 100) != whole[:100]


def test_image_blobs_hash_to_their_names_and_layers_are_valid_tars(tmp_path):
    layout = OciLayout(tmp_path / "layout")
    gz = layout.add_layer(70_000, compression="gzip", seed="a")
    plain = layout.add_layer(513, compression="none", seed="b")
    image = layout.add_image([gz, plain, 0], ref="v1", seed="img")

    for digest in image.digests:
        assert sha256_file(layout.blob_path(digest)) == digest
    assert image.manifest.size == len(image.manifest_bytes)
    assert [layer.descriptor.media_type for layer in image.layers] == [OCI_LAYER_GZIP, OCI_LAYER_TAR, OCI_LAYER_GZIP]

    config = json.loads(image.config_bytes)
    assert config["rootfs"]["diff_ids"] == [layer.diff_id for layer in image.layers]
    for layer, seed in zip(image.layers, ["a", "b", "img-layer2"]):
        raw = layout.blob_path(layer.descriptor.digest).read_bytes()
        tar_bytes = gzip.decompress(raw) if layer.descriptor.media_type == OCI_LAYER_GZIP else raw
        assert "sha256:" + hashlib.sha256(tar_bytes).hexdigest() == layer.diff_id
        with tarfile.open(layout.blob_path(layer.descriptor.digest)) as tar:
            members = tar.getmembers()
            assert len(members) == 1 and members[0].isfile() and members[0].size == layer.file_size
            assert tar.extractfile(members[0]).read() == PseudoRandomBytes(layer.file_size, seed).read_range(
                0, layer.file_size)

    manifest = json.loads(image.manifest_bytes)
    assert manifest["mediaType"] == OCI_MANIFEST
    assert manifest["config"]["digest"] == image.config.digest
    assert read_ref(layout.root, "v1")["digest"] == image.manifest.digest
    assert json.loads((layout.root / "oci-layout").read_text()) == {"imageLayoutVersion": "1.0.0"}


def test_index_has_two_platforms_each_its_own_image(tmp_path):
    layout = OciLayout(tmp_path / "layout")
    index = layout.add_index([1000, 2000], ref="multi", seed="idx")
    body = json.loads(index.index_bytes)
    assert body["mediaType"] == OCI_INDEX
    assert [(m["platform"]["os"], m["platform"]["architecture"]) for m in body["manifests"]] == [
        ("linux", "amd64"), ("linux", "arm64")]
    assert [m["digest"] for m in body["manifests"]] == [image.manifest.digest for image in index.images]
    layers = [layer.descriptor.digest for image in index.images for layer in image.layers]
    assert len(set(layers)) == 4, "each platform has its own layers"
    entry = read_ref(layout.root, "multi")
    assert entry["digest"] == index.index.digest and entry["annotations"][REF_NAME] == "multi"
    for digest in index.digests:
        assert sha256_file(layout.blob_path(digest)) == digest


def test_a_large_layer_is_streamed_not_built_in_memory(tmp_path):
    layout = OciLayout(tmp_path / "layout")
    tracemalloc.start()
    try:
        layer = layout.add_layer(64 * MiB, compression="gzip", seed="big")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * MiB, f"generating a 64 MiB layer peaked at {peak / MiB:.1f} MiB of Python memory"
    assert layer.descriptor.size > 64 * MiB
    assert sha256_file(layout.blob_path(layer.descriptor.digest)) == layer.descriptor.digest
