"""Where a seed's offer is available: the prefectures its member states (`service_area`), or, when it
states none, the limits its own text sets (「長崎県内の中小製造業を対象に」「佐賀県の中小企業向け」
「対象：市内に事業所を置く」).

A text that names a place without limiting who may use the offer (「福岡県の工場で導入実績」, 「県外企業も利用可能」)
sets no limit: a wrong limit hides an offer from members it could help, a missing one only shows it too widely.
"""

import re
import unicodedata

PREFECTURES = (
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県",
    "栃木県", "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県",
    "石川県", "福井県", "山梨県", "長野県", "岐阜県", "静岡県", "愛知県", "三重県",
    "滋賀県", "京都府", "大阪府", "兵庫県", "奈良県", "和歌山県", "鳥取県", "島根県",
    "岡山県", "広島県", "山口県", "徳島県", "香川県", "愛媛県", "高知県", "福岡県",
    "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県",
)
KYUSHU = ("福岡県", "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県", "鹿児島県")
_ROMAJI = (
    "hokkaido aomori iwate miyagi akita yamagata fukushima ibaraki tochigi gunma saitama chiba tokyo kanagawa niigata "
    "toyama ishikawa fukui yamanashi nagano gifu shizuoka aichi mie shiga kyoto osaka hyogo nara wakayama tottori "
    "shimane okayama hiroshima yamaguchi tokushima kagawa ehime kochi fukuoka saga nagasaki kumamoto oita miyazaki "
    "kagoshima okinawa").split()
PREFECTURE_BY_ROMAJI = dict(zip(_ROMAJI, PREFECTURES, strict=True))
_BY_EN = PREFECTURE_BY_ROMAJI

_PREF = "|".join(sorted(PREFECTURES, key=len, reverse=True))
_PLACE = (rf"(?P<named>(?:{_PREF})(?:[・、,と及]|および)?(?:(?:{_PREF})(?:[・、,と及]|および)?)*)"
          r"|(?P<kyushu>九州)|(?P<local>(?<![\u4e00-\u9fff])県|本県|市|町|村)(?=内)|(?P<home>地元)")
# Whom the offer is for, right after the place (「…県内の中小企業」「…県の事業者」), then what limits it to them.
_TARGET = (r"(?:中小企業|中小製造業|企業|事業者|事業所|製造業|会社|法人|個人事業主|農家|農業者|生産者|会員|団体"
           r"|皆様|皆さま)")
_LIMIT = r"(?:対象|向け|限り|限定|のみ|に限|派遣|が利用|がご利用|が相談|が使え|が申請|が応募|が受け)"
_AFTER = re.compile(rf"(?:{_PLACE})(?:内|下)?(?:の|に|で)?[^、。\n\r で実績]{{0,12}}?{_TARGET}"
                    rf"[^、。\n\r]{{0,14}}?{_LIMIT}")
# 「…県内に本社または事業所を置く」: a condition of where the member is.
_SEATED = re.compile(rf"(?:{_PLACE})内?に(?:本社|本店|事業所|拠点|営業所|工場)[^、。\n\r]{{0,10}}?(?:置|持|有|ある)")
# 「対象：市内に…」「提供地域：福岡県・佐賀県」
_LABELLED = re.compile(rf"(?:対象|対象者|対象企業|対象地域|提供地域|対応地域|対応エリア|提供エリア|サービスエリア)"
                       rf"\s*[：:は]\s*[^、。\n\r]{{0,6}}?(?:{_PLACE})")
# The offer says it is open beyond any place it names.
_OPEN = re.compile(r"(?:県外|市外|他県|九州外|全国|国内外|海外)(?:の|から|や|へ)?[^。\n\r]{0,14}?"
                   r"(?:も|歓迎|可能|対応|どこでも)|全国(?:対応|どこでも|各地)"
                   r"|nationwide|anywhere in japan|outside (?:the )?(?:prefecture|kyushu)[^.]{0,30}welcome")
_EN_PLACE = rf"(?P<en>kyushu|{'|'.join(sorted(_BY_EN, key=len, reverse=True))})(?: prefecture)?"
_EN_LIMITS = (
    re.compile(rf"(?:only|exclusively|limited|restricted|available|open) (?:to|for) [a-z ,\-]{{0,40}}?\b"
               rf"(?:in|based in|located in) {_EN_PLACE}\b"),
    re.compile(rf"(?:companies|businesses|firms|smes|manufacturers|members|farmers)(?: [a-z\-]+){{0,3}} "
               rf"(?:based|located|registered) in {_EN_PLACE}\b"),
    re.compile(rf"\b{_EN_PLACE}[- ]based (?:companies|businesses|firms|smes)"),
)


def _normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def _places(match: re.Match[str], home: str) -> set[str]:
    groups = match.groupdict()
    if groups.get("named"):
        return set(re.findall(_PREF, groups["named"]))
    if groups.get("kyushu") or groups.get("en") == "kyushu":
        return set(KYUSHU)
    if groups.get("en"):
        return {_BY_EN[groups["en"]]}
    return {home} if home in PREFECTURES else set()  # 県内, 市内, 地元: the member's own prefecture


def derive_service_area(text: str, home_prefecture: str) -> tuple[str, ...]:
    """The prefectures a seed's text limits its offer to, in the standard order; () when it sets no limit."""
    norm = _normalize(text)
    if _OPEN.search(norm):
        return ()
    found: set[str] = set()
    for pattern in (_AFTER, _SEATED, _LABELLED, *_EN_LIMITS):
        for match in pattern.finditer(norm):
            found |= _places(match, home_prefecture)
    return tuple(p for p in PREFECTURES if p in found)


def service_area(stated: tuple[str, ...], text: str, home_prefecture: str) -> tuple[tuple[str, ...], bool]:
    """The prefectures where a seed is available and whether its member stated them; () for anywhere."""
    if stated:
        return tuple(p for p in PREFECTURES if p in set(stated)), True
    return derive_service_area(text, home_prefecture), False
