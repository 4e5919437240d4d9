"""The FAISS index with database ids, and its snapshots."""

import json
from pathlib import Path

import numpy as np
import pytest

from embeddings import index as index_module
from embeddings.index import VectorIndex
from embeddings.snapshot import SnapshotError, load_snapshot, load_snapshot_and_extras, read_manifest, save_snapshot


def _unit(rows: int, dim: int = 16, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(rows, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.mark.parametrize("threshold", [1000, 10])
def test_search_upsert_and_remove_by_id(threshold: int) -> None:
    vectors = _unit(50)
    index = VectorIndex(16, hnsw_threshold=threshold)
    index.upsert(list(range(100, 150)), vectors)
    assert index.kind == ("flat" if threshold == 1000 else "hnsw")
    assert index.search(vectors[7], 1)[0][0] == 107
    index.remove([107])
    assert 107 not in [i for i, _ in index.search(vectors[7], 5)]
    index.upsert([107], vectors[8:9])
    hits = [i for i, _ in index.search(vectors[8], 2)]
    assert set(hits) == {107, 108}
    assert len(index) == 50


@pytest.mark.parametrize("threshold", [1000, 10])
def test_a_replaced_vector_is_no_longer_found_and_snapshots_stay_consistent(threshold: int, tmp_path: Path) -> None:
    vectors = _unit(60)
    index = VectorIndex(16, hnsw_threshold=threshold)
    index.upsert(list(range(50)), vectors[:50])
    index.upsert([5], vectors[55:56])  # an edited posting: new text, new vector, same id
    index.remove([9])

    old_hits = index.search(vectors[5], 3)
    assert all(not (i == 5 and score > 0.999) for i, score in old_hits)  # the old vector is gone
    assert index.search(vectors[55], 1) == [(5, pytest.approx(1.0, abs=1e-5))]
    assert 9 not in [i for i, _ in index.search(vectors[9], 5)]
    assert sorted(i for i, _ in index.search(vectors[0], 100)) == sorted(set(range(50)) - {9})

    save_snapshot(tmp_path, {"seed": index}, model_id="m@1", watermark="w")
    _, loaded = load_snapshot(tmp_path, model_id="m@1", hnsw_threshold=threshold)
    restored = loaded["seed"]
    assert len(restored) == 49
    assert restored.retired == 0
    assert restored.search(vectors[55], 1)[0][0] == 5
    restored.upsert([5], vectors[56:57])  # the restored index keeps working incrementally
    assert restored.search(vectors[56], 1)[0][0] == 5


def test_snapshot_round_trip_and_corruption_detected(tmp_path: Path) -> None:
    index = VectorIndex(16)
    index.upsert([1, 2, 3], _unit(3))
    save_snapshot(tmp_path, {"seed": index}, model_id="m@1", watermark="w1")
    manifest, loaded = load_snapshot(tmp_path, model_id="m@1", hnsw_threshold=1000)
    assert manifest.watermark == "w1"
    assert manifest.counts == {"seed": 3}
    assert loaded["seed"].search(index.vector(2), 1)[0][0] == 2

    with pytest.raises(SnapshotError, match="m@1"):
        load_snapshot(tmp_path, model_id="other@2", hnsw_threshold=1000)

    version, _ = read_manifest(tmp_path)
    target = version / "seed.faiss"
    data = bytearray(target.read_bytes())
    data[-5] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(SnapshotError, match="corrupt"):
        load_snapshot(tmp_path, model_id="m@1", hnsw_threshold=1000)


def test_extra_files_are_saved_and_verified_with_the_indexes(tmp_path: Path) -> None:
    index = VectorIndex(16)
    index.upsert([1, 2], _unit(2))
    save_snapshot(tmp_path, {"seed": index}, model_id="m@1", watermark="w", extras={"seed.notes.json": b'{"a": 1}'})
    manifest, _, extras = load_snapshot_and_extras(tmp_path, model_id="m@1", hnsw_threshold=1000)
    assert manifest.extras == ["seed.notes.json"]
    assert extras == {"seed.notes.json": b'{"a": 1}'}

    version, _ = read_manifest(tmp_path)
    (version / "seed.notes.json").write_bytes(b'{"a": 2}')
    with pytest.raises(SnapshotError, match="corrupt"):
        load_snapshot_and_extras(tmp_path, model_id="m@1", hnsw_threshold=1000)

    manifest_path = version / "manifest.json"
    data = json.loads(manifest_path.read_text())
    for name in ("../secret", "", "seed.faiss", "manifest.json", 7):
        manifest_path.write_text(json.dumps(data | {"extras": [name]}))
        with pytest.raises(SnapshotError, match="not a file of its own"):
            load_snapshot_and_extras(tmp_path, model_id="m@1", hnsw_threshold=1000)


def test_a_snapshot_saved_before_extra_files_existed_still_loads(tmp_path: Path) -> None:
    index = VectorIndex(16)
    index.upsert([1], _unit(1))
    save_snapshot(tmp_path, {"seed": index}, model_id="m@1", watermark="w")
    version, _ = read_manifest(tmp_path)
    data = json.loads((version / "manifest.json").read_text())
    del data["extras"]
    (version / "manifest.json").write_text(json.dumps(data))
    manifest, loaded, extras = load_snapshot_and_extras(tmp_path, model_id="m@1", hnsw_threshold=1000)
    assert (manifest.extras, len(loaded["seed"]), extras) == ([], 1, {})


def test_missing_snapshot_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError):
        load_snapshot(tmp_path / "none", model_id="m", hnsw_threshold=10)


def test_a_manifest_without_checksums_does_not_vouch_for_corrupted_vectors(tmp_path: Path) -> None:
    index = VectorIndex(16)
    index.upsert([1, 2, 3], _unit(3))
    save_snapshot(tmp_path, {"seed": index}, model_id="m@1", watermark="w1")
    version, _ = read_manifest(tmp_path)
    np.save(version / "seed.ids.npy", np.asarray([3, 2, 1]))  # corrupted: the vectors under other ids
    manifest_file = next(p for p in version.iterdir() if p.suffix == ".json")
    document = json.loads(manifest_file.read_text())
    document["checksums"] = {}
    manifest_file.write_text(json.dumps(document))
    with pytest.raises(SnapshotError, match="no checksum"):
        load_snapshot(tmp_path, model_id="m@1", hnsw_threshold=1000)


def _mapped_files() -> set[str]:
    """The files this process maps into its memory."""
    lines = Path("/proc/self/maps").read_text().splitlines()
    return {line.split(maxsplit=5)[5] for line in lines if len(line.split(maxsplit=5)) == 6}


@pytest.mark.parametrize("threshold", [1000, 10])
def test_a_loaded_hnsw_snapshot_is_mapped_and_edits_never_write_to_its_file(threshold: int, tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """HNSW indexes are mapped; exact ones are read (numpy scans every vector of theirs per match)."""
    monkeypatch.setattr(index_module, "FOLD_AT", 8)
    vectors = _unit(80)
    index = VectorIndex(16, hnsw_threshold=threshold)
    index.upsert(list(range(40)), vectors[:40])
    version = save_snapshot(tmp_path, {"seed": index}, model_id="m@1", watermark="w")
    saved = (version / "seed.faiss").read_bytes()
    _, loaded = load_snapshot(tmp_path, model_id="m@1", hnsw_threshold=threshold)
    restored = loaded["seed"]
    assert (str(version / "seed.faiss") in _mapped_files()) == (restored.kind == "hnsw")
    assert restored.search(vectors[3], 1)[0][0] == 3

    restored.upsert([3], vectors[40:41])  # in the overlay: the mapped index cannot grow
    assert restored.search(vectors[40], 1)[0][0] == 3
    assert 3 not in [i for i, _ in restored.search(vectors[3], 40)][:1]
    restored.upsert(list(range(100, 120)), vectors[41:61])  # past FOLD_AT: folded into a copy of its own
    restored.remove([5, 101])
    assert (version / "seed.faiss").read_bytes() == saved
    live = {i: vectors[i] for i in range(40) if i not in (3, 5)} | {3: vectors[40]} | {
        100 + k: vectors[41 + k] for k in range(20) if k != 1}
    assert sorted(restored.ids()) == sorted(live)
    for item_id, vector in live.items():
        assert restored.search(vector, 1)[0] == (item_id, pytest.approx(1.0, abs=1e-5))
        np.testing.assert_array_equal(restored.vector(item_id), vector)


@pytest.mark.parametrize("threshold", [1000, 30])
def test_products_centroid_and_exact_search_follow_every_change(threshold: int,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Positions, their products and the mean of the live vectors agree with the vectors themselves through
    additions, replacements, removals, folds and rebuilds."""
    monkeypatch.setattr(index_module, "FOLD_AT", 16)
    rng = np.random.default_rng(3)
    index, live = VectorIndex(16, hnsw_threshold=threshold), dict[int, np.ndarray]()
    for step in range(30):
        ids = [int(i) for i in rng.choice(60, size=int(rng.integers(1, 9)), replace=False)]
        if step % 3 == 2:
            index.remove(ids)
            for i in ids:
                live.pop(i, None)
        else:
            fresh = _unit(len(ids), seed=step)
            index.upsert(ids, fresh)
            live.update(zip(ids, fresh, strict=True))
        if step == 20:
            index.compact()
            assert index.retired == 0
        if index.kind == "flat":
            assert index.retired < index_module.FOLD_AT  # an exact index rebuilds rather than read them all
        query = _unit(1, seed=100 + step)[0]
        ids_now = sorted(live)
        products = index.products(query)
        assert len(products) == index.size
        np.testing.assert_allclose(products[index.positions(ids_now)], [live[i] @ query for i in ids_now], atol=1e-6)
        np.testing.assert_allclose(index.centroid(), np.mean([live[i] for i in ids_now], axis=0), atol=1e-6)
        if index.kind == "flat":
            best = sorted(ids_now, key=lambda i: -float(live[i] @ query))[:5]
            assert [i for i, _ in index.search(query, 5)] == best


def test_a_snapshot_can_be_read_into_the_process_instead(tmp_path: Path) -> None:
    """For a data folder on a network share: the loaded index is the process's own, not the file's pages."""
    index = VectorIndex(16, hnsw_threshold=10)
    index.upsert(list(range(30)), _unit(30))
    version = save_snapshot(tmp_path, {"seed": index}, model_id="m@1", watermark="w")
    _, loaded = load_snapshot(tmp_path, model_id="m@1", hnsw_threshold=10, mapped=False)
    assert str(version / "seed.faiss") not in _mapped_files()
    loaded["seed"].upsert([31], _unit(1, seed=9))
    assert loaded["seed"].search(_unit(1, seed=9)[0], 1)[0][0] == 31
