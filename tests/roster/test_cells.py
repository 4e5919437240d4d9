"""One value in a spreadsheet cell and back: formula-safe CSV text, the list rule, workbook text."""

import pytest

from app.roster.cells import (
    FORMULA_START,
    csv_text,
    decode_list,
    encode_list,
    from_csv_text,
    from_xlsx_text,
    xlsx_text,
)
from app.roster.models import Need
from app.web.forms import PostingForm
from tests.roster.conftest import FORMULA, NASTY_TAGS

TEXTS = [FORMULA, "+81 92", "-5", "@home", "\tx", "\rx", "'", "''", "'a", "'=a", "''=a", "'''", "a'", "", "plain",
         "=", "日本語", "'\t"]


@pytest.mark.parametrize("text", TEXTS)
def test_csv_text_never_starts_a_formula_and_reads_back(text: str) -> None:
    cell = csv_text(text)
    assert cell[:1] not in FORMULA_START
    assert from_csv_text(cell) == text


def test_only_the_quote_the_writer_adds_is_removed() -> None:
    assert csv_text(FORMULA) == "'" + FORMULA
    assert csv_text("'quoted") == "'quoted"  # a quote before anything else is the text's own
    assert from_csv_text("'quoted") == "'quoted"
    assert csv_text("'=x") == "''=x"
    # A cell typed in a spreadsheet with a quote before a formula character means that text.
    assert from_csv_text("'=1+1") == "=1+1"


@pytest.mark.parametrize("items", [NASTY_TAGS, ["vendor_hw", "sier"], ["E"], ["福岡県", "佐賀県"], []])
def test_lists_read_back_item_for_item(items: list[str]) -> None:
    assert decode_list(encode_list(items)) == items
    assert decode_list(encode_list(items, "、")) == items


def test_every_separator_splits_and_blanks_around_items_are_dropped() -> None:
    assert decode_list("a; b；c , d，e、f\ng") == ["a", "b", "c", "d", "e", "f", "g"]
    assert decode_list(" ; ;a;;") == ["a"]
    assert decode_list("a\\;b;c\\、d") == ["a;b", "c、d"]
    assert encode_list(["vendor_hw", "sier"]) == "vendor_hw;sier"
    with pytest.raises(ValueError, match="not a list separator"):
        encode_list(["a"], "|")


@pytest.mark.parametrize("text", ["a\r\nb", "\rx", "bell\x07", "_x000D_", "_x005F_x000D_", "NUL\x00", "tab\tlf\n"])
def test_workbook_text_escapes_what_xml_cannot_hold(text: str) -> None:
    stored = xlsx_text(text)
    assert not {"\r", "\x07", "\x00"} & set(stored)
    assert from_xlsx_text(stored) == text


def test_the_web_form_uses_the_same_list_rule() -> None:
    need = Need(external_id="N-1", title="t", description="d", tags=NASTY_TAGS)
    form = PostingForm.of(need)
    assert form.values()["tags"] == NASTY_TAGS
    typed = PostingForm("need", "t", "d", tags="温湿度、倉庫; 物流,冷蔵")
    assert typed.values()["tags"] == ["温湿度", "倉庫", "物流", "冷蔵"]
