"""The API's and the CLI's messages in English and Japanese, and the choice between them by Accept-Language.

The texts are in the gettext catalog (app/locale, read by app/i18n.py); this module fills them in.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from app import i18n
from app.errors import AppError
from app.i18n import N_, template

LANGUAGES = i18n.LANGUAGES
DEFAULT_LANGUAGE = i18n.API_DEFAULT

E = TypeVar("E", bound=AppError)

# Codes other modules build from a record's kind (f"not_found.{kind}"), written out so that extraction finds them.
NOT_FOUND_BY_KIND = {"need": N_("not_found.need"), "seed": N_("not_found.seed")}

# The command line's wording of messages that name an API call: the command that does the same instead.
CLI_MESSAGES = {
    "not_found.event": N_("cli.not_found.event"),
    "not_found.event_meeting": N_("cli.not_found.event_meeting"),
    "not_found.event_request_id": N_("cli.not_found.event_request_id"),
    "conflict.event_participant_exists": N_("cli.conflict.event_participant_exists"),
    "conflict.event_not_scheduled": N_("cli.conflict.event_not_scheduled"),
    "conflict.event_pair_scheduled": N_("cli.conflict.event_pair_scheduled"),
    "conflict.event_meeting_max": N_("cli.conflict.event_meeting_max"),
    "conflict.event_meeting_unavailable": N_("cli.conflict.event_meeting_unavailable"),
    "conflict.event_meeting_do_not_meet": N_("cli.conflict.event_meeting_do_not_meet"),
    "invalid.event_no_plan": N_("cli.invalid.event_no_plan"),
}

# Words interpolated into messages (the kind of record, the scope of a key), as readers of each language know them.
TERMS = {"organization": N_("term.organization"), "member": N_("term.member"), "need": N_("term.need"),
         "seed": N_("term.seed"), "lab": N_("term.lab")}
TERM_PARAMS = frozenset({"kind", "scope"})

# pydantic error type -> Japanese reason; placeholders are the error's ctx. Other types keep pydantic's English.
VALIDATION_JA: dict[str, str] = {
    "missing": "必須です",
    "int_parsing": "整数にしてください",
    "int_type": "整数にしてください",
    "int_from_float": "整数にしてください（小数部があります）",
    "int_parsing_size": "整数の桁数が多すぎます",
    "float_parsing": "数値にしてください",
    "float_type": "数値にしてください",
    "decimal_parsing": "数値にしてください",
    "finite_number": "有限の数値にしてください",
    "string_type": "文字列にしてください",
    "string_unicode": "正しいUnicodeの文字列にしてください",
    "string_too_short": "{min_length} 文字以上にしてください",
    "string_too_long": "{max_length} 文字以内にしてください",
    "string_pattern_mismatch": "形式が正しくありません（パターン {pattern}）",
    "greater_than": "{gt} より大きい値にしてください",
    "greater_than_equal": "{ge} 以上にしてください",
    "less_than": "{lt} より小さい値にしてください",
    "less_than_equal": "{le} 以下にしてください",
    "multiple_of": "{multiple_of} の倍数にしてください",
    "literal_error": "{expected} のいずれかにしてください",
    "enum": "{expected} のいずれかにしてください",
    "bool_parsing": "真偽値（true または false）にしてください",
    "bool_type": "真偽値（true または false）にしてください",
    "date_parsing": "日付（例: 2026-04-01）にしてください",
    "date_type": "日付（例: 2026-04-01）にしてください",
    "date_from_datetime_parsing": "日付（例: 2026-04-01）にしてください",
    "date_from_datetime_inexact": "時刻のない日付（例: 2026-04-01）にしてください",
    "datetime_parsing": "日時（ISO 8601、例: 2026-04-01T09:00:00+09:00）にしてください",
    "datetime_type": "日時（ISO 8601、例: 2026-04-01T09:00:00+09:00）にしてください",
    "datetime_from_date_parsing": "日時（ISO 8601、例: 2026-04-01T09:00:00+09:00）にしてください",
    "json_invalid": "正しいJSONではありません",
    "json_type": "JSONの文字列にしてください",
    "list_type": "配列にしてください",
    "tuple_type": "配列にしてください",
    "set_type": "配列にしてください",
    "dict_type": "オブジェクトにしてください",
    "model_type": "オブジェクトにしてください",
    "model_attributes_type": "オブジェクトにしてください",
    "extra_forbidden": "この項目は使えません",
    "too_short": "{min_length} {unit}以上にしてください（{actual_length} {unit}です）",
    "too_long": "{max_length} {unit}以下にしてください（{actual_length} {unit}あります）",
    "url_parsing": "正しいURLにしてください",
    "url_type": "URLの文字列にしてください",
    "url_scheme": "URLは {expected_schemes} のいずれかで始めてください",
    "url_too_long": "URLは {max_length} 文字以内にしてください",
    "uuid_parsing": "正しいUUIDにしてください",
    "none_required": "null にしてください",
}

# The service's own reasons (validators' ValueErrors, roster and catalog checks) -> Japanese, by full match.
REASONS_JA: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(pattern), japanese) for pattern, japanese in (
    (r"must not contain NUL characters", "NUL文字は使えません"),
    (r"must be valid Unicode text", "正しいUnicodeの文字列にしてください"),
    (r"must not be blank", "空白だけにはできません"),
    (r"is required and cannot be null", "必須です（null にはできません）"),
    (r"is required", "必須です"),
    (r"lists a value twice", "同じ値が2回含まれています"),
    (r"lists a role twice", "同じ役割が2回含まれています"),
    (r"(?P<value>.+) is not one of the 47 prefectures \(kanji(, e\.g\. 福岡県)?\)",
     "{value} は47都道府県名（漢字、例: 福岡県）ではありません"),
    (r"must be a non-empty string", "空でない文字列にしてください"),
    (r"is longer than (?P<limit>\d+) characters", "{limit} 文字以内にしてください"),
    (r"must be a non-negative integer, got (?P<value>.+)", "0以上の整数にしてください（{value} です）"),
    (r"must be a positive integer, got (?P<value>.+)", "正の整数にしてください（{value} です）"),
    (r"must be a list of strings", "文字列の配列にしてください"),
    (r"must be a non-empty list", "空でない配列にしてください"),
    (r"must be a list", "配列にしてください"),
    (r"must be a string", "文字列にしてください"),
    (r"must be an object", "オブジェクトにしてください"),
    (r"must be one of (?P<allowed>.+)", "{allowed} のいずれかにしてください"),
    (r"unknown role (?P<value>.+) \(allowed: (?P<allowed>.+)\)", "{value} は使えない役割です（使えるのは {allowed}）"),
    (r"is required for the support role: one of (?P<allowed>.+)",
     "roles に support があるときは必須です（{allowed} のいずれか）"),
    (r"is set but roles has no 'support'", "roles に 'support' がないときは指定できません"),
    (r"unknown JSIC major division (?P<value>.+) \(A\.\.T\)",
     "{value} は日本標準産業分類の大分類（A〜T）ではありません"),
    (r"unknown prefecture (?P<value>.+); write one of the 47 prefectures in kanji, like 福岡県",
     "{value} は都道府県名ではありません。47都道府県のいずれかを漢字で書いてください（例: 福岡県）"),
    (r"must be a year such as 1987, got (?P<value>.+)", "西暦の年（例: 1987）にしてください（{value} です）"),
    (r"must start with http:// or https://", "http:// または https:// で始めてください"),
    (r"must be an object with name, email, phone", "name・email・phone を持つオブジェクトにしてください"),
    (r"(?P<value>.+) is not a valid e-mail address", "{value} は正しいメールアドレスではありません"),
    (r"(?P<value>.+) is not a phone number", "{value} は電話番号ではありません"),
    (r"must be a fraction in \(0, 1\], got (?P<value>.+)", "0より大きく1以下の割合にしてください（{value} です）"),
    (r"start (?P<start>\S+) is after end (?P<end>\S+)", "開始日 {start} が終了日 {end} より後です"),
    (r"a tax block needs kind: tax", "tax ブロックには kind: tax が必要です"),
    (r"a subsidy block needs kind: subsidy or commissioned",
     "subsidy ブロックには kind: subsidy または commissioned が必要です"),
    (r"per-member caps need eligibility\.consortium", "会員ごとの上限には eligibility.consortium が必要です"),
    (r"cap_additions need cap_jpy", "cap_additions には cap_jpy が必要です"),
    (r"a subsidy without rates must say why in rate_note_ja",
     "補助率のない補助金は rate_note_ja に理由を書いてください"),
    (r"unknown (?P<what>\S+) (?P<value>.+): one of (?P<allowed>.+)",
     "{what} の値 {value} は使えません（{allowed} のいずれか）"),
    (r"id is required \(a non-empty string\)", "ID は必須です（空でない文字列）"),
    (r"id is longer than (?P<limit>\d+) characters", "ID は {limit} 文字以内にしてください"),
    (r"id (?P<value>.+) may hold only letters, digits, '-', '_' and '\.', starting with a letter or digit "
     r"\(like ORG-0001\); no spaces, '/', '\?', '#', '%' or full-width symbols, so the API can address it",
     "ID {value} に使えるのは文字・数字と「-」「_」「.」だけで、先頭は文字か数字です（例: ORG-0001）。"
     "API で指定できるよう、空白・「/」「?」「#」「%」・全角の記号は使えません"),
    (r"duplicate id (?P<value>.+), already used by (?P<where>.+)", "ID {value} が重複しています（{where} で使用済み）"),
    (r"the file must hold a JSON object", "ファイルの中身は JSON のオブジェクトにしてください"),
    (r"must be (?P<expected>'[^']*'), got (?P<value>.+)", "{expected} にしてください（{value} です）"),
    (r"must be at most (?P<limit>\d+)", "{limit} 以下にしてください"),
    (r"sheet is missing", "シートがありません"),
    (r"file is missing", "ファイルがありません"),
    (r"missing column\(s\): (?P<columns>.+)", "見出しの行に列 {columns} がありません"),
    (r"names no organization in the organizations sheet", "organizations シートにない会員の ID です"),
    (r"is neither UTF-8 nor Shift_JIS \(CP932\) text: .*",
     "UTF-8 でも Shift_JIS（CP932）でもありません。Excel で「CSV UTF-8 (コンマ区切り) (*.csv)」として保存し直して"
     "取り込んでください"),
    (r"cannot be read \((?P<reason>.+)\): check that you may read it",
     "読めません（{reason}）。読み取りの権限を確かめてください"),
    (r"is not a readable CSV file \(line (?P<line>\d+): (?P<reason>.+)\): .*",
     "CSV として読めません（{line} 行目: {reason}）。Excel で「CSV UTF-8 (コンマ区切り) (*.csv)」として保存し直して"
     "ください"),
    (r"has more than (?P<limit>[\d,]+) rows: .*",
     "{limit} 行を超えています（1 シート {limit} 行まで）。データより下の空の行を削除するか、ファイルを分けてください"),
    (r"has a value in column (?P<column>[A-Z]+) \(row (?P<row>\d+)\): a roster sheet uses at most "
     r"(?P<limit>\d+) columns; delete the cells beyond column (?P<last>[A-Z]+)",
     "{column} 列（{row} 行目）に値があります。名簿のシートは {limit} 列までです。"
     "{last} 列より右のセルを削除してください"),
    (r"give either slots or plan, not both", "slots と plan はどちらか一方だけを指定してください"),
    (r"give the time slots: slots \(a list\) or plan \(start, count, minutes, breaks\)",
     "時間枠を slots（一覧）または plan（開始・枠数・長さ・休憩）で指定してください"),
))


@dataclass(frozen=True)
class Phrase:
    """A message parameter worded per language: a term, a list of choices, validation reasons."""

    en: str
    ja: str

    def text(self, lang: str) -> str:
        """The wording in the language."""
        return self.ja if lang == "ja" else self.en

    def __str__(self) -> str:  # English wherever it is shown outside the API (CLI, logs)
        return self.en


def either(words: Sequence[str]) -> Phrase:
    """`a or b` / `a または b`."""
    return Phrase(" or ".join(words), " または ".join(words))


def choices(words: Sequence[str]) -> Phrase:
    """`a, b, c` / `a、b、c`."""
    return Phrase(", ".join(words), "、".join(words))


def reason_ja(reason: str) -> str | None:
    """The Japanese for one of the service's English reasons, or None when it has none."""
    for pattern, japanese in REASONS_JA:
        found = pattern.fullmatch(reason)
        if found:
            return japanese.format(**found.groupdict())
    return None


def reason(text: str) -> Phrase:
    """A reason of the service in both languages (English where no translation is known)."""
    return Phrase(text, reason_ja(text) or text)


def _expected_ja(expected: str) -> str:
    # pydantic lists choices as "'a', 'b' or 'c'".
    return "、".join(part for chunk in expected.rsplit(" or ", 1) for part in chunk.split(", "))


def validation_reason(problem: Mapping[str, Any], lang: str) -> str:
    """A pydantic error's reason: pydantic's English for en and for types without a translation."""
    english = str(problem.get("msg") or "invalid value")
    if lang != "ja":
        return english
    kind = str(problem.get("type", ""))
    ctx = dict(problem.get("ctx") or {})
    if kind in ("value_error", "assertion_error"):
        return reason_ja(str(ctx.get("error", ""))) or english
    wording = VALIDATION_JA.get(kind)
    if wording is None:
        return english
    values = {k: _expected_ja(str(v)) if k.startswith("expected") else v for k, v in ctx.items()}
    # Length errors count characters of text and items of anything else; pydantic says "items" for both.
    values["unit"] = "文字" if isinstance(problem.get("input"), str) else "件"
    try:
        return wording.format(**values)
    except (KeyError, IndexError, ValueError):  # a ctx unlike the one the wording expects
        return english


def location(problem: Mapping[str, Any]) -> str:
    """A pydantic error's location as a dotted path."""
    return ".".join(str(part) for part in problem.get("loc", ()))


def validation_reasons(problems: Sequence[Mapping[str, Any]]) -> Phrase:
    """`where: reason; …` for pydantic errors, in both languages."""
    def listed(lang: str, whole: str) -> str:
        return "; ".join(f"{location(p) or whole}: {validation_reason(p, lang)}" for p in problems)

    return Phrase(listed("en", "(document)"), listed("ja", "（全体）"))


def _localized(name: str, value: Any, lang: str) -> Any:
    if isinstance(value, Phrase):
        return value.text(lang)
    if name in TERM_PARAMS and isinstance(value, str) and value in TERMS:
        return template(TERMS[value], lang)
    return value


def render(code: str, lang: str, params: Mapping[str, Any]) -> str:
    """The catalogue message in the language, filled with the parameters."""
    values = {name: _localized(name, value, lang) for name, value in params.items()}
    return template(code, lang).format(**values)


def phrase(code: str, **params: Any) -> Phrase:
    """A catalogue message as a parameter of another, in both languages."""
    return Phrase(render(code, "en", params), render(code, "ja", params))


def error(cls: type[E], code: str, *, field: str | None = None, **params: Any) -> E:
    """An error whose message comes from the catalogue: English for the CLI and logs, localized by the API."""
    params = ({"field": field} if field is not None else {}) | params  # messages may name the field too
    return cls(render(code, DEFAULT_LANGUAGE, params), field=field, code=code, params=params)


def cli_text(exc: AppError, lang: str = DEFAULT_LANGUAGE) -> str:
    """The error's message for the command line: its CLI wording when the API's names an API call."""
    code = exc.code or ""
    if code in CLI_MESSAGES:
        return render(CLI_MESSAGES[code], lang, exc.params)
    return render(code, lang, exc.params) if code else exc.message


def negotiate(accept_language: str | None) -> str:
    """The supported language the caller prefers most (RFC 9110 weights), English by default."""
    return i18n.negotiate(accept_language, DEFAULT_LANGUAGE)
