"""Themes: k-means separates clear groups, names come from distinctive terms and concepts, unmet needs group by
prefecture × field."""

import numpy as np

from matching.themes import Item, UnmetNeed, cluster, field_of, themes, unmet_needs, weak_threshold
from matching.vocabulary import Concept, Vocabulary

VOCAB = Vocabulary([
    Concept("camera", "カメラ・映像", "camera", "technology", ("カメラ", "映像")),
    Concept("farm", "スマート農業", "smart farming", "application", ("ハウス", "農業", "かん水")),
    Concept("kyushu", "九州", "Kyushu", "industry", ("九州",)),
])

CAMERA = ["カメラの映像で不良品を検査したい", "映像解析で外観検査を自動化するカメラ", "検査工程のカメラ映像を記録する",
          "カメラで製品の傷を検査する"]
FARM = ["ハウスの温度とかん水を自動制御したい", "農業ハウスの温度を遠隔で見守る",
        "かん水のタイミングを農業センサーで決める", "ハウス栽培の温度記録を自動化する"]


def _vectors(groups: list[int], rng: np.random.Generator) -> np.ndarray:
    centers = np.eye(8, dtype=np.float32)[:2] * 5
    return np.vstack([centers[g] + rng.normal(0, 0.3, 8).astype(np.float32) for g in groups])


def _items() -> list[Item]:
    texts = [(t, 0) for t in CAMERA] + [(t, 1) for t in FARM]
    return [Item(f"{'N' if n % 2 else 'S'}-{n}", "need" if n % 2 else "seed", f"ORG-{n % 5}", t[:10], t)
            for n, (t, _) in enumerate(texts)]


def test_kmeans_separates_clear_groups_and_caps_k() -> None:
    rng = np.random.default_rng(0)
    groups = [0] * 6 + [1] * 6
    labels = cluster(_vectors(groups, rng), 2)
    assert len(set(labels[:6])) == 1
    assert len(set(labels[6:])) == 1
    assert labels[0] != labels[6]
    assert len(set(cluster(_vectors([0, 1], rng), 10))) <= 2  # never more themes than items
    assert cluster(np.zeros((0, 8), dtype=np.float32), 3).shape == (0,)


def test_themes_are_named_by_their_distinctive_terms_and_concepts() -> None:
    items = _items()
    found = themes(items, _vectors([0] * 4 + [1] * 4, np.random.default_rng(1)), VOCAB, 2)
    assert len(found) == 2
    by_label = {t.labels[0]: t for t in found}
    assert set(by_label) == {"カメラ・映像", "スマート農業"}
    camera, farm = by_label["カメラ・映像"], by_label["スマート農業"]
    assert "検査" in camera.terms
    assert "温度" in farm.terms
    assert "九州" not in camera.labels  # industry concepts do not name a theme
    assert set(camera.needs + camera.seeds) == {i.id for i in items[:4]}
    assert camera.name.startswith("カメラ・映像")


def test_unmet_needs_by_prefecture_and_field() -> None:
    needs = [
        UnmetNeed("N1", "ORG-1", "佐賀県", field_of("ハウスのかん水", VOCAB, "農業"), 0.5, "S9"),
        UnmetNeed("N2", "ORG-2", "佐賀県", field_of("農業ハウスの温度", VOCAB, "農業"), 0.2, "S9"),
        UnmetNeed("N3", "ORG-3", "福岡県", field_of("帳票の電子化", VOCAB, "製造業"), 0.9, "S8"),
        UnmetNeed("N4", "ORG-4", "福岡県", "カメラ・映像", 5.0, "S1"),
        UnmetNeed("N5", "ORG-5", "熊本県", "カメラ・映像", 0.0, None),  # no match at all
    ]
    groups = unmet_needs(needs, weak_below=1.0)
    assert [(g.prefecture, g.field, [n.need for n in g.needs]) for g in groups] == [
        ("佐賀県", "スマート農業", ["N2", "N1"]),  # weakest first
        ("熊本県", "カメラ・映像", ["N5"]),
        ("福岡県", "製造業", ["N3"]),
    ]
    assert weak_threshold(needs, 0.5) == 0.5 * 0.7  # median of the scores of needs with a match


def test_english_needs_join_the_themes_of_what_they_are_about_not_one_of_their_own() -> None:
    rng = np.random.default_rng(1)
    topics = np.eye(8, dtype=np.float32)[:2] * 3
    english = np.eye(8, dtype=np.float32)[7] * 6  # the direction multilingual vectors share per language
    texts = CAMERA[:3] + FARM[:3] + ["Camera inspection of scratches", "Greenhouse watering by sensor"]
    topic_of = [0, 0, 0, 1, 1, 1, 0, 1]
    vectors = np.vstack([topics[t] + (english if i >= 6 else 0) + rng.normal(0, 0.2, 8).astype(np.float32)
                         for i, t in enumerate(topic_of)])
    items = [Item(f"N-{i}", "need", f"ORG-{i}", t[:10], t) for i, t in enumerate(texts)]
    by_theme = {need: theme.id for theme in themes(items, vectors, VOCAB, 2) for need in theme.needs}
    assert by_theme["N-6"] == by_theme["N-0"]  # English camera need with the Japanese camera needs
    assert by_theme["N-7"] == by_theme["N-3"]
    assert by_theme["N-0"] != by_theme["N-3"]
