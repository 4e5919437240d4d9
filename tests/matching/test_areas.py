"""Service areas read from a seed's own words: limits that say who may use the offer, not places it names."""

import pytest

from matching.areas import KYUSHU, derive_service_area, service_area


@pytest.mark.parametrize(("text", "home", "area"), [
    ("長崎県内の中小製造業を対象に、専門家を派遣します", "長崎県", ("長崎県",)),
    ("佐賀県の中小企業向けの相談窓口です", "福岡県", ("佐賀県",)),
    ("熊本県・鹿児島県内の中小企業が対象で、返済期間は最長10年", "熊本県", ("熊本県", "鹿児島県")),
    ("・対象：市内に本社または事業所を置く中小企業・農業者", "鹿児島県", ("鹿児島県",)),  # the member's own
    ("県内に事業所を持つ中小企業の導入費用を補助します", "大分県", ("大分県",)),
    ("九州内で事業を行う企業が対象です", "福岡県", KYUSHU),
    ("Available only to SMEs based in Saga Prefecture.", "福岡県", ("佐賀県",)),
    ("Fukuoka-based companies only.", "東京都", ("福岡県",)),
])
def test_a_text_that_limits_who_may_use_the_offer_gives_its_prefectures(text: str, home: str,
                                                                         area: tuple[str, ...]) -> None:
    assert derive_service_area(text, home) == area


@pytest.mark.parametrize("text", [
    "福岡県の工場で導入実績のある中小企業向けサービスです",  # where it has worked, not whom it serves
    "県内の加工業者と共同で選別装置を開発しています",
    "大分県内の中小企業は年5回まで無料、県外の企業も旅費実費でご相談に応じます。",  # open beyond the prefecture
    "3m法の電波暗室を開放しています。県外企業も利用可能です。",
    "市内での実証フィールド提供と地元調整のお手伝い",  # a place to try things, open to all
    "We have installed it for manufacturers in Fukuoka and Saga.",
])
def test_a_text_that_only_names_a_place_sets_no_limit(text: str) -> None:
    assert derive_service_area(text, "大分県") == ()


def test_a_stated_service_area_wins_over_the_text_and_comes_in_the_standard_order() -> None:
    assert service_area(("佐賀県", "福岡県"), "長崎県内の企業が対象", "長崎県") == (("福岡県", "佐賀県"), True)
    assert service_area((), "長崎県内の企業が対象", "長崎県") == (("長崎県",), False)
    assert service_area((), "どこでも使えます", "長崎県") == ((), False)
