"""The scheduler's reasons (written in English by prepare.py and report.py) in Japanese, for Japanese pages.

Wording this module does not know is returned unchanged, so a new English reason shows rather than vanishes.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_FIXED = {
    # why a participant has no meeting at all
    "max_meetings is 0": "商談数の上限が0件です",
    "no available slot": "参加できる時間枠がありません",
    "no tables": "テーブルがありません",
    "no candidate": "商談相手の候補がいません",
    # why a candidate pair can never meet
    "non-positive value": "マッチングの評価がありません",
    "already met": "以前に商談済みです",
    "no common available slot": "共通して参加できる時間枠がありません",
    "removed by hand": "事務局が外した組み合わせです",
    "slot removed": "時間枠が削除されました",
    "pair no longer eligible": "この組み合わせはもう対象になりません",
    # why a candidate of an idle participant did not fit
    "at their max_meetings": "相手の商談数が上限に達しています",
    "only in slots whose tables are full": "共通の時間枠はテーブルが満席です",
    "busy whenever a table is free": "テーブルが空いている枠では相手が商談中です",
}


def _excluded(listing: str) -> str:
    """'X (why); Y (why); … 3 more' → 'X: なぜ、Y: なぜ、ほか 3 件'."""
    items = []
    for item in listing.split("; "):
        more = re.fullmatch(r"… (\d+) more", item)
        pair = re.fullmatch(r"(\S+) \((.+)\)", item)
        if more:
            items.append(f"ほか {more[1]} 件")
        elif pair:
            items.append(f"{pair[1]}: {reason_ja(pair[2])}")
        else:
            items.append(reason_ja(item))
    return "、".join(items)


def _counts(listing: str) -> str:
    """'2 at their max_meetings, 1 busy …' → '2 件: 相手の…、1 件: …'."""
    items = []
    for item in listing.split(", "):
        count, _, why = item.partition(" ")
        items.append(f"{count} 件: {reason_ja(why)}" if count.isdigit() else reason_ja(item))
    return "、".join(items)


def _slots(listing: str) -> str:
    """'S01: A busy; S02: tables full' → 'S01: A が商談中、S02: 満席'."""
    items = []
    for item in listing.split("; "):
        more = re.fullmatch(r"… (\d+) more", item)
        slot, _, why = item.partition(": ")
        busy = re.fullmatch(r"(\S+) busy", why)
        items.append(f"ほか {more[1]} 枠" if more else f"{slot}: {busy[1]} が商談中" if busy
                     else f"{slot}: 満席" if why == "tables full" else item)
    return "、".join(items)


def _heuristic(suffix: str) -> str:
    return "（近似解のため、よりよい配置があるかもしれません）" if "heuristic" in suffix else suffix


_PATTERNS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"all (\d+) candidate\(s\) excluded: (.+)"),
     lambda m: f"候補 {m[1]} 件はすべて対象外です（{_excluded(m[2])}）"),
    (re.compile(r"no meeting fits with any of (\d+) candidate\(s\): (.+)"),
     lambda m: f"候補 {m[1]} 件のどの相手とも商談が組めません（{_counts(m[2])}）"),
    (re.compile(r"do_not_meet requested by (\S+)"), lambda m: f"{m[1]} が商談を希望していません"),
    (re.compile(r"(\S+) has no available slot"), lambda m: f"{m[1]} は参加できる時間枠がありません"),
    (re.compile(r"(\S+) has max_meetings 0"), lambda m: f"{m[1]} の商談数の上限が0件です"),
    (re.compile(r"value (\S+) below the minimum (\S+)"), lambda m: f"評価 {m[1]} が最低値 {m[2]} に届きません"),
    (re.compile(r"(\S+) has no free slot besides its locked meetings"),
     lambda m: f"{m[1]} は固定された商談のほかに空いている時間枠がありません"),
    (re.compile(r"(\S+) reaches max_meetings with locked meetings"),
     lambda m: f"{m[1]} は固定された商談で商談数の上限に達しています"),
    (re.compile(r"(\S+) reaches max_meetings \((\d+)\) with (higher-priority meetings|meetings of the same or a "
                r"higher priority)(.*)"),
     lambda m: f"{m[1]} は優先度が{'より高い' if m[3].startswith('higher') else '同じか高い'}商談で"
               f"商談数の上限（{m[2]}）に達しています{_heuristic(m[4])}"),
    (re.compile(r"every common slot is taken by (higher-priority meetings|meetings of the same or a higher "
                r"priority) \((.+)\)(.*)"),
     lambda m: f"共通の時間枠はすべて優先度が{'より高い' if m[1].startswith('higher') else '同じか高い'}商談で"
               f"埋まっています（{_slots(m[2])}）{_heuristic(m[3])}"),
    (re.compile(r"(\S+) no longer available in slot (\S+)"),
     lambda m: f"{m[1]} は時間枠 {m[2]} に参加できなくなりました"),
    (re.compile(r"participant (\S+) removed"), lambda m: f"参加者 {m[1]} が参加を取り消しました"),
    (re.compile(r"unknown participant (\S+)"), lambda m: f"{m[1]} は参加者ではありません"),
    (re.compile(r"pruned \(outside both participants' top (\d+)\)"),
     lambda m: f"双方の上位 {m[1]} 候補に入っていません"),
]


def reason_ja(reason: str) -> str:
    """The reason in Japanese, or unchanged if its wording is unknown."""
    if reason in _FIXED:
        return _FIXED[reason]
    for pattern, render in _PATTERNS:
        match = pattern.fullmatch(reason)
        if match:
            return render(match)
    return reason
