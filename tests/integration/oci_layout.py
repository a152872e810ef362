"""Generates OCI image layouts on disk (image-spec "OCI Image Layout"), for tests that feed real clients.

Everything is written as a stream: a layer's tar is produced piece by piece, hashed twice on the way (the diff_id over
the uncompressed tar, the blob digest over what lands on disk) and never held in memory whole, so a 300 MiB layer costs
a few MiB of memory. Content is pseudo-random from a seed, so a test can regenerate any byte range it pushed.

Only the standard library is used.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import random
import tarfile
import zlib
from pathlib import Path
from typing import BinaryIO, Iterator, Sequence

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_TAR = "application/vnd.oci.image.layer.v1.tar"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
REF_NAME = "org.opencontainers.image.ref.name"

# Fixed timestamps keep the generated JSON a function of the seeds alone.
_CREATED = "2024-01-01T00:00:00Z"
_MTIME = 1704067200
_TAR_BLOCK = 512
_PIECE = 1 << 20  # how much is generated, hashed and written at a time


def sha256_file(path: Path | str) -> str:
    """`sha256:<hex>` of a file, read in pieces."""
    hasher = hashlib.sha256()
    with open(path, "rb") as f:
        while piece := f.read(_PIECE):
            hasher.update(piece)
    return "sha256:" + hasher.hexdigest()


def sha256_bytes(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def canonical_json(value: object) -> bytes:
    """Compact JSON: the bytes whose digest is the object's identity."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=True).encode()


class PseudoRandomBytes:
    """A reproducible byte string of `size` bytes, produced in pieces of `piece_size`.

    Piece k is `random.Random(f"{seed}:{k}").randbytes(...)`, so any offset can be regenerated without producing what
    comes before it (a test resuming an upload at the offset the server reports needs exactly that).
    """

    def __init__(self, size: int, seed: int | str, piece_size: int = 8 << 20):
        if size < 0 or piece_size <= 0:
            raise ValueError("size must be >= 0 and piece_size > 0")
        self.size = size
        self.seed = seed
        self.piece_size = piece_size
        self._digest: str | None = None

    def _piece(self, index: int) -> bytes:
        start = index * self.piece_size
        length = min(self.piece_size, self.size - start)
        return random.Random(f"{self.seed}:{index}").randbytes(length)

    def iter_range(self, start: int = 0, end: int | None = None, max_piece: int | None = None) -> Iterator[bytes]:
        """Yields the bytes [start, end) in order, each yielded piece at most `max_piece` (default: piece_size)."""
        end = self.size if end is None else end
        if not 0 <= start <= end <= self.size:
            raise ValueError(f"range [{start}, {end}) outside [0, {self.size})")
        limit = max_piece or self.piece_size
        offset = start
        while offset < end:
            index = offset // self.piece_size
            piece = self._piece(index)
            lo = offset - index * self.piece_size
            hi = min(len(piece), end - index * self.piece_size)
            view = memoryview(piece)[lo:hi]
            for cut in range(0, len(view), limit):
                yield bytes(view[cut:cut + limit])
            offset += hi - lo

    def read_range(self, start: int, end: int) -> bytes:
        """The bytes [start, end) as one string: only for ranges a test is willing to hold."""
        return b"".join(self.iter_range(start, end))

    @property
    def digest(self) -> str:
        if self._digest is None:
            hasher = hashlib.sha256()
            for piece in self.iter_range():
                hasher.update(piece)
            self._digest = "sha256:" + hasher.hexdigest()
        return self._digest


@dataclasses.dataclass(frozen=True)
class Descriptor:
    media_type: str
    digest: str
    size: int
    platform: dict | None = None
    annotations: dict | None = None

    def to_json(self) -> dict:
        out: dict = {"mediaType": self.media_type, "digest": self.digest, "size": self.size}
        if self.platform:
            out["platform"] = dict(self.platform)
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        return out

    def with_fields(self, **changes) -> "Descriptor":
        return dataclasses.replace(self, **changes)


@dataclasses.dataclass(frozen=True)
class Layer:
    descriptor: Descriptor
    diff_id: str  # sha256 of the uncompressed tar (image-spec config.rootfs.diff_ids)
    file_size: int  # size of the one file inside the tar


@dataclasses.dataclass(frozen=True)
class Image:
    manifest: Descriptor
    config: Descriptor
    layers: tuple[Layer, ...]
    manifest_bytes: bytes
    config_bytes: bytes

    @property
    def blob_digests(self) -> list[str]:
        """Config and layers: the blobs a registry must hold before the manifest."""
        return [self.config.digest] + [layer.descriptor.digest for layer in self.layers]

    @property
    def digests(self) -> list[str]:
        """Every blob and the manifest."""
        return self.blob_digests + [self.manifest.digest]


@dataclasses.dataclass(frozen=True)
class ImageIndex:
    index: Descriptor
    images: tuple[Image, ...]
    index_bytes: bytes

    @property
    def digests(self) -> list[str]:
        out: list[str] = []
        for image in self.images:
            out.extend(d for d in image.digests if d not in out)
        return out + [self.index.digest]


class _HashingWriter:
    """Writes to a file while hashing and counting what passes."""

    def __init__(self, out: BinaryIO):
        self.out = out
        self.hasher = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        if data:
            self.out.write(data)
            self.hasher.update(data)
            self.size += len(data)

    @property
    def digest(self) -> str:
        return "sha256:" + self.hasher.hexdigest()


class OciLayout:
    """An OCI image layout directory: `oci-layout`, `index.json` and `blobs/sha256/`."""

    def __init__(self, root: Path | str):
        self.root = Path(root)
        self.blobs = self.root / "blobs" / "sha256"
        self.blobs.mkdir(parents=True, exist_ok=True)
        (self.root / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
        self._refs: list[Descriptor] = []
        self._temp_counter = 0
        self._write_index_json()

    # -- blobs ---------------------------------------------------------------------------------------------------

    def blob_path(self, digest: str) -> Path:
        algorithm, _, hex_part = digest.partition(":")
        return self.root / "blobs" / algorithm / hex_part

    def _temp_path(self) -> Path:
        # Outside blobs/, so a half-written file never sits where a reader looks for content.
        self._temp_counter += 1
        return self.root / f".incoming-{os.getpid()}-{self._temp_counter}"

    def _publish(self, temp: Path, digest: str) -> None:
        target = self.blob_path(digest)
        if target.exists():  # content addressed: same digest, same bytes
            temp.unlink()
        else:
            os.replace(temp, target)

    def write_blob(self, data: bytes, media_type: str) -> Descriptor:
        digest = sha256_bytes(data)
        target = self.blob_path(digest)
        if not target.exists():
            temp = self._temp_path()
            temp.write_bytes(data)
            os.replace(temp, target)
        return Descriptor(media_type, digest, len(data))

    def add_layer(self, size: int, *, compression: str = "gzip", seed: int | str | None = None) -> Layer:
        """A layer holding one file of `size` pseudo-random bytes.

        compression "gzip" writes a gzip stream at level 0 (stored blocks: valid gzip, cheap to make, and its size
        is predictable); "none" writes the bare tar with the uncompressed media type.
        """
        if compression not in ("gzip", "none"):
            raise ValueError(f"unknown compression {compression!r}")
        seed = _fresh_seed() if seed is None else seed
        content = PseudoRandomBytes(size, seed, piece_size=_PIECE)
        info = tarfile.TarInfo(f"data/{hashlib.sha256(str(seed).encode()).hexdigest()[:16]}.bin")
        info.size = size
        info.mtime = _MTIME
        info.mode = 0o644
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        header = info.tobuf(format=tarfile.USTAR_FORMAT)
        padding = (-size) % _TAR_BLOCK
        trailer = b"\0" * (padding + 2 * _TAR_BLOCK)  # end of archive: two zero blocks

        temp = self._temp_path()
        diff_hasher = hashlib.sha256()
        with open(temp, "wb") as f:
            blob = _HashingWriter(f)
            compressor = zlib.compressobj(0, zlib.DEFLATED, 31) if compression == "gzip" else None

            def emit(tar_bytes: bytes) -> None:
                diff_hasher.update(tar_bytes)
                blob.write(compressor.compress(tar_bytes) if compressor else tar_bytes)

            emit(header)
            for piece in content.iter_range():
                emit(piece)
            emit(trailer)
            if compressor:
                blob.write(compressor.flush())
        self._publish(temp, blob.digest)
        media_type = OCI_LAYER_GZIP if compression == "gzip" else OCI_LAYER_TAR
        return Layer(Descriptor(media_type, blob.digest, blob.size), "sha256:" + diff_hasher.hexdigest(), size)

    # -- images --------------------------------------------------------------------------------------------------

    def add_image(
        self,
        layers: Sequence[int | Layer],
        *,
        ref: str | None = None,
        compression: str = "gzip",
        seed: int | str | None = None,
        platform: dict | None = None,
        annotations: dict | None = None,
    ) -> Image:
        """An image manifest with a config and `layers` (sizes to generate, or Layers made earlier to share).

        With `ref`, index.json names the manifest with an `org.opencontainers.image.ref.name` annotation.
        """
        seed = _fresh_seed() if seed is None else seed
        platform = platform or {"architecture": "amd64", "os": "linux"}
        made: list[Layer] = []
        for position, spec in enumerate(layers):
            if isinstance(spec, Layer):
                made.append(spec)
            else:
                made.append(self.add_layer(spec, compression=compression, seed=f"{seed}-layer{position}"))

        config = {
            "created": _CREATED,
            "architecture": platform["architecture"],
            "os": platform["os"],
            **({"variant": platform["variant"]} if "variant" in platform else {}),
            "config": {"Env": [f"OUTPOST_TEST_SEED={seed}"]},
            "rootfs": {"type": "layers", "diff_ids": [layer.diff_id for layer in made]},
            "history": [{"created": _CREATED, "created_by": f"layer {i}"} for i in range(len(made))],
        }
        config_bytes = canonical_json(config)
        config_desc = self.write_blob(config_bytes, OCI_CONFIG)

        manifest: dict = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": config_desc.to_json(),
            "layers": [layer.descriptor.to_json() for layer in made],
        }
        if annotations:
            manifest["annotations"] = dict(annotations)
        manifest_bytes = canonical_json(manifest)
        manifest_desc = self.write_blob(manifest_bytes, OCI_MANIFEST)
        image = Image(manifest_desc, config_desc, tuple(made), manifest_bytes, config_bytes)
        if ref is not None:
            self.tag(ref, manifest_desc)
        return image

    def add_index(
        self,
        layer_sizes: Sequence[int],
        *,
        ref: str | None = None,
        platforms: Sequence[dict] = (
            {"architecture": "amd64", "os": "linux"},
            {"architecture": "arm64", "os": "linux", "variant": "v8"},
        ),
        compression: str = "gzip",
        seed: int | str | None = None,
    ) -> ImageIndex:
        """An image index with one image per platform, each with its own layers of `layer_sizes`."""
        seed = _fresh_seed() if seed is None else seed
        images = tuple(
            self.add_image(layer_sizes, compression=compression, seed=f"{seed}-{p['os']}-{p['architecture']}",
                           platform=p)
            for p in platforms
        )
        index = {
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [
                image.manifest.with_fields(platform=dict(p)).to_json() for image, p in zip(images, platforms)
            ],
        }
        index_bytes = canonical_json(index)
        index_desc = self.write_blob(index_bytes, OCI_INDEX)
        if ref is not None:
            self.tag(ref, index_desc)
        return ImageIndex(index_desc, images, index_bytes)

    # -- index.json ----------------------------------------------------------------------------------------------

    def tag(self, ref: str, descriptor: Descriptor) -> None:
        """Points `ref` at `descriptor` in index.json (replacing an earlier entry of that name)."""
        self._refs = [d for d in self._refs if (d.annotations or {}).get(REF_NAME) != ref]
        annotations = dict(descriptor.annotations or {})
        annotations[REF_NAME] = ref
        self._refs.append(Descriptor(descriptor.media_type, descriptor.digest, descriptor.size,
                                     annotations=annotations))
        self._write_index_json()

    def _write_index_json(self) -> None:
        index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [d.to_json() for d in self._refs]}
        temp = self._temp_path()
        temp.write_bytes(canonical_json(index))
        os.replace(temp, self.root / "index.json")


def read_ref(root: Path | str, ref: str) -> dict:
    """The index.json descriptor of an OCI layout that carries ref name `ref` (KeyError when absent)."""
    index = json.loads((Path(root) / "index.json").read_bytes())
    for descriptor in index.get("manifests", []):
        if descriptor.get("annotations", {}).get(REF_NAME) == ref:
            return descriptor
    raise KeyError(f"{root}: no manifest with {REF_NAME}={ref!r}")


def blob_path(root: Path | str, digest: str) -> Path:
    algorithm, _, hex_part = digest.partition(":")
    return Path(root) / "blobs" / algorithm / hex_part


def _fresh_seed() -> int:
    return random.SystemRandom().getrandbits(63)
