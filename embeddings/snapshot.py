"""Index snapshots on disk: written whole into a temporary folder, moved into place, verified on load.

Several worker processes (and servers sharing the folder) may save and load at once: a lock file serialises
writers against each other and against readers, so no reader sees a version being removed. A loaded HNSW index maps
its version's FAISS file rather than reading it: the workers share its pages, and a version's files are never
written again once it is in place (a removed version's files live on for the processes that map them)."""

import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from embeddings.index import VectorIndex

MANIFEST = "manifest.json"
CURRENT = "CURRENT"
LOCK = ".lock"
STAGING = ".building-"
FORMAT = 2  # 2: each FAISS index holds its vectors by position, in the order of its ids file (1 had IDMap2)


@dataclass(frozen=True)
class Manifest:
    """What built a snapshot; a snapshot whose manifest does not match the service is rebuilt."""

    model_id: str
    dimension: int
    counts: dict[str, int]
    watermark: str
    checksums: dict[str, str]
    built_at: float
    format: int = FORMAT
    extras: list[str] = field(default_factory=list)  # files the service keeps beside the indexes


class SnapshotError(Exception):
    """A snapshot that is missing, corrupt, or built for something else."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def _locked(root: Path, *, exclusive: bool) -> Iterator[None]:
    """flock on root/.lock: shared for readers, exclusive for a writer; released when the process dies."""
    root.mkdir(parents=True, exist_ok=True)
    with (root / LOCK).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def building(root: Path) -> Iterator[None]:
    """Held while one process decides whether to rebuild and does it: the others wait, then find its snapshot."""
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".build.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def save_snapshot(root: Path, indexes: dict[str, VectorIndex], *, model_id: str, watermark: str,
                  extras: Mapping[str, bytes] | None = None) -> Path:
    """Write the indexes (and `extras`, files by name) as a new version under root and point CURRENT at it;
    returns its folder."""
    with _locked(root, exclusive=True):
        return _save(root, indexes, model_id=model_id, watermark=watermark, extras=extras or {})


def _save(root: Path, indexes: dict[str, VectorIndex], *, model_id: str, watermark: str,
          extras: Mapping[str, bytes]) -> Path:
    staging = Path(tempfile.mkdtemp(prefix=STAGING, dir=root))
    try:
        return _write(root, staging, indexes, model_id=model_id, watermark=watermark, extras=extras)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)  # a full disk leaves no half-written copy behind
        raise


def _write(root: Path, staging: Path, indexes: dict[str, VectorIndex], *, model_id: str, watermark: str,
           extras: Mapping[str, bytes]) -> Path:
    files: dict[str, Path] = {}
    for name, content in extras.items():
        (staging / name).write_bytes(content)
        files[name] = staging / name
    for name, index in indexes.items():
        index.compact()
        np.save(staging / f"{name}.ids.npy", index.position_ids())
        faiss.write_index(index.faiss_index, str(staging / f"{name}.faiss"))
        files.update({p.name: p for p in staging.glob(f"{name}.*")})
    dimension = next(iter(indexes.values())).dimension if indexes else 0
    manifest = Manifest(model_id=model_id, dimension=dimension, counts={k: len(v) for k, v in indexes.items()},
                        watermark=watermark, checksums={n: _sha256(p) for n, p in sorted(files.items())},
                        built_at=time.time(), extras=sorted(extras))
    (staging / MANIFEST).write_text(json.dumps(asdict(manifest), indent=2), encoding="utf-8")
    version = root / f"v{int(manifest.built_at * 1000)}"
    while version.exists():  # another process saved within the same millisecond
        version = version.with_name(f"{version.name}-{os.getpid()}")
    os.replace(staging, version)
    pointer = root / f".{CURRENT}.tmp"
    pointer.write_text(version.name, encoding="utf-8")
    os.replace(pointer, root / CURRENT)
    _remove_old_versions(root, keep=version.name)
    return version


def _remove_old_versions(root: Path, keep: str) -> None:
    for path in root.iterdir():
        # Staging folders of a writer that died are left: they are named apart and never read.
        if path.is_dir() and path.name != keep and not path.name.startswith(STAGING):
            shutil.rmtree(path, ignore_errors=True)


def read_manifest(root: Path) -> tuple[Path, Manifest]:
    """The current snapshot's folder and manifest; SnapshotError if there is none or it is unreadable."""
    try:
        version = root / (root / CURRENT).read_text(encoding="utf-8").strip()
        data: dict[str, Any] = json.loads((version / MANIFEST).read_text(encoding="utf-8"))
        return version, Manifest(**data)
    except (OSError, ValueError, TypeError) as exc:
        raise SnapshotError(f"no readable snapshot in {root}: {exc}") from exc


def load_snapshot(root: Path, *, model_id: str, hnsw_threshold: int, mapped: bool = True
                  ) -> tuple[Manifest, dict[str, VectorIndex]]:
    """Load and verify the current snapshot: checksums, model and dimension must match. `mapped`: the indexes
    map their files (shared by every process that loads the same version) rather than reading them."""
    manifest, indexes, _ = load_snapshot_and_extras(root, model_id=model_id, hnsw_threshold=hnsw_threshold,
                                                    mapped=mapped)
    return manifest, indexes


def load_snapshot_and_extras(root: Path, *, model_id: str, hnsw_threshold: int, mapped: bool = True
                             ) -> tuple[Manifest, dict[str, VectorIndex], dict[str, bytes]]:
    """load_snapshot, and the extra files saved with it (verified like the indexes)."""
    if not (root / CURRENT).exists():
        raise SnapshotError(f"no snapshot in {root}")
    with _locked(root, exclusive=False):
        try:
            return _load(root, model_id=model_id, hnsw_threshold=hnsw_threshold, mapped=mapped)
        except OSError as exc:  # a file that cannot be read (or is a folder) is a snapshot to rebuild
            raise SnapshotError(f"snapshot file unreadable: {exc}") from exc


def _load(root: Path, *, model_id: str, hnsw_threshold: int, mapped: bool
          ) -> tuple[Manifest, dict[str, VectorIndex], dict[str, bytes]]:
    version, manifest = read_manifest(root)
    if manifest.format != FORMAT:
        raise SnapshotError(f"snapshot of format {manifest.format}, the service reads {FORMAT}")
    if manifest.model_id != model_id:
        raise SnapshotError(f"snapshot built with {manifest.model_id}, service uses {model_id}")
    # Every file the loader reads must be vouched for: a manifest that lists fewer checksums (or none)
    # would otherwise let corrupted vectors in unverified.
    needed = [f"{name}.{part}" for name in manifest.counts for part in ("ids.npy", "faiss")]
    if any(not isinstance(name, str) or not name or Path(name).name != name or name.startswith(".")
           or name in needed or name == MANIFEST for name in manifest.extras):
        raise SnapshotError("snapshot manifest names an extra file that is not a file of its own in its folder")
    needed += manifest.extras
    unlisted = [name for name in needed if name not in manifest.checksums]
    if unlisted:
        raise SnapshotError(f"snapshot manifest has no checksum for {', '.join(unlisted)}")
    for name, expected in manifest.checksums.items():
        path = version / name
        if not path.exists() or _sha256(path) != expected:
            raise SnapshotError(f"snapshot file {name} is missing or corrupt")
    indexes = {}
    for name in manifest.counts:
        ids = np.load(version / f"{name}.ids.npy")
        index_file = str(version / f"{name}.faiss")
        faiss_index = faiss.read_index(index_file, faiss.IO_FLAG_MMAP_IFC if mapped else 0)
        in_place = mapped and not isinstance(faiss_index, faiss.IndexFlatIP)
        if mapped and not in_place:
            # An exact index is read: every match scans all of its vectors with numpy, and the file holds them
            # at an offset that is not even float-aligned, where numpy leaves BLAS for a loop 2.5 times as slow
            # (an HNSW index is searched by FAISS, and numpy reads only the candidates). It is small anyway.
            faiss_index = faiss.read_index(index_file)
        if not isinstance(faiss_index, faiss.IndexFlatIP | faiss.IndexHNSWFlat):
            raise SnapshotError(f"snapshot {name}.faiss is a {type(faiss_index).__name__}, not a flat or HNSW index")
        if faiss_index.ntotal != len(ids) or ids.ndim != 1 or faiss_index.d != manifest.dimension:
            raise SnapshotError(f"snapshot {name}.faiss holds {faiss_index.ntotal} vectors of {faiss_index.d} "
                                f"dimensions, expected {len(ids)} of {manifest.dimension}")
        indexes[name] = VectorIndex.restore(faiss_index, ids, hnsw_threshold, mapped=in_place)
    return manifest, indexes, {name: (version / name).read_bytes() for name in manifest.extras}
