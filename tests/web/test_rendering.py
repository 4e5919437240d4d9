"""Pieces of the pages that need no server: highlighting, charts, sessions, safe redirects."""

import pytest

from app.errors import Forbidden
from app.web import session as web_session
from app.web.charts import bars, heatmap
from app.web.highlight import highlight
from app.web.pages import safe_next
from app.web.views import term_to_mark


def test_highlight_marks_terms_and_escapes_everything_else() -> None:
    marked = highlight("<b>設備</b>の故障予兆と設備保全", ["設備", "故障予兆", ""])
    assert str(marked) == "&lt;b&gt;<mark>設備</mark>&lt;/b&gt;の<mark>故障予兆</mark>と<mark>設備</mark>保全"
    assert str(highlight("a<b", [])) == "a&lt;b"


def test_heatmap_draws_a_cell_per_pair_and_names_the_counts() -> None:
    svg = str(heatmap(["福岡県", "熊本県"], ["E", "A"], {("福岡県", "E"): 4, ("熊本県", "A"): 1},
                      row_labels={"福岡県": "福岡県", "熊本県": "熊本県"}, column_labels={"E": "製造業", "A": "農業"},
                      title="未解決<ニーズ>"))
    assert svg.count("<rect") == 4
    assert "<title id=\"heatmap-title\">未解決&lt;ニーズ&gt;</title>" in svg
    assert "福岡県 × 製造業: 4; 熊本県 × 農業: 1" in svg
    assert 'role="img"' in svg


def test_bars_scale_to_the_largest_count() -> None:
    svg = str(bars([("a", 10), ("b", 5)], title="t"))
    assert 'width="240"' in svg
    assert 'width="120"' in svg


def test_session_cookie_cannot_be_forged_or_reused_after_expiry(monkeypatch: pytest.MonkeyPatch) -> None:
    session = web_session.WebSession(key_id=7)
    value = session.encode()
    assert web_session.decode(value) == web_session.WebSession(csrf=session.csrf, key_id=7, issued=session.issued)
    payload, signature = value.rsplit(".", 1)
    assert web_session.decode(f"{payload}.{'0' * len(signature)}") is None
    assert web_session.decode("garbage") is None
    old = web_session.WebSession(key_id=7, issued=1)
    assert web_session.decode(old.encode()) is None
    with pytest.raises(Forbidden):
        web_session.check_csrf(session, "nope")
    web_session.check_csrf(session, session.csrf)


@pytest.mark.parametrize(("url", "expected"), [
    ("/me", "/me"), ("/postings/seed/S-1?q=a", "/postings/seed/S-1?q=a"),
    ("//evil.example/x", "/"), ("https://evil.example", "/"), ("/\\evil", "/"), (None, "/"),
])
def test_only_local_paths_are_followed_after_a_form(url: str | None, expected: str) -> None:
    assert safe_next(url) == expected


def test_vocabulary_surfaces_are_marked_without_their_particle() -> None:
    surfaces = ("牛の", "豚を", "知らせる", "の", "鶏舎")
    assert [term_to_mark(t) for t in surfaces] == ["牛", "豚", "知らせる", "の", "鶏舎"]
    assert str(highlight("牛の首輪", [term_to_mark("牛の")])) == "<mark>牛</mark>の首輪"
