"""Reading relevance judgments (kyushu-iot-community/qrels-v1), with every problem reported by location."""

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

QRELS_FORMAT = "kyushu-iot-community/qrels-v1"


class QrelsInvalid(Exception):
    """A qrels document that cannot be evaluated; `problems` says where and what to fix."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the qrels")
        self.problems = problems


@dataclass(frozen=True)
class UnknownJudgment:
    """A judgment naming a need or seed the roster does not have."""

    index: int
    need: str
    seed: str
    missing: str  # "need", "seed" or "need and seed"

    def __str__(self) -> str:
        return f"judgment {self.index} (need {self.need}, seed {self.seed}): {self.missing} not in the roster"


def read_qrels(path: Path) -> dict[str, Any]:
    """The qrels document in a file, checked; raises QrelsInvalid."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise QrelsInvalid([f"{path} does not exist"]) from None
    except IsADirectoryError:
        raise QrelsInvalid([f"{path} is a folder; give a qrels .json file"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise QrelsInvalid([f"{path.name} cannot be read as UTF-8 text: {exc}"]) from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise QrelsInvalid([f"{path.name} is not JSON: {exc}"]) from exc
    problems = qrels_problems(data)
    if problems:
        raise QrelsInvalid(problems)
    return dict(data)


def qrels_problems(data: Any) -> list[str]:
    """Every problem of a qrels document, each with its location; empty when it is valid."""
    if not isinstance(data, dict):
        return [f"the file must be a JSON object with \"format\" and \"judgments\", not {_kind(data)}"]
    problems: list[str] = []
    judgments = data.get("judgments")
    if not isinstance(judgments, list):
        problems.append("judgments: missing; give a list of {\"need\", \"seed\", \"grade\"} objects"
                        if judgments is None else f"judgments: must be a list, not {_kind(judgments)}")
        return problems
    if not judgments:
        problems.append("judgments: the list is empty; there is nothing to evaluate")
    for i, item in enumerate(judgments):
        problems += _judgment_problems(i, item)
    return problems


def _judgment_problems(index: int, item: Any) -> list[str]:
    where = f"judgment {index}"
    if not isinstance(item, dict):
        return [f"{where}: must be an object with need, seed and grade, not {_kind(item)}"]
    problems = [f"{where} / {key}: {reason}" for key in ("need", "seed") if (reason := _id_problem(item, key))]
    if "grade" not in item:
        problems.append(f"{where} / grade: missing; give an integer ≥ 0 (2 solves, 1 in part, 0 not relevant)")
    elif not _is_grade(item["grade"]):
        problems.append(f"{where} / grade: must be an integer ≥ 0, found {json.dumps(item['grade'])}")
    return problems


def qrels_warnings(data: Mapping[str, Any]) -> list[str]:
    """What is odd about a valid qrels document but does not stop an evaluation."""
    warnings = []
    if data.get("format") != QRELS_FORMAT:
        warnings.append(f"format: expected \"{QRELS_FORMAT}\", found {json.dumps(data.get('format'))}; "
                        "reading the judgments anyway")
    first: dict[tuple[str, str], int] = {}
    for i, item in enumerate(data["judgments"]):
        pair = (str(item["need"]), str(item["seed"]))
        if pair in first:
            warnings.append(f"judgment {i} repeats judgment {first[pair]} (need {pair[0]}, seed {pair[1]}); "
                            "the higher grade counts")
        first.setdefault(pair, i)
    return warnings


def grade_of(value: Any) -> int:
    """A checked grade as an int (2, 2.0 and "2" are the same grade)."""
    return int(float(value))


def _id_problem(item: Mapping[str, Any], key: str) -> str | None:
    if key not in item:
        return "missing"
    value = item[key]
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        return f"must be a non-empty id string, found {json.dumps(value, ensure_ascii=False)}"
    return None


def _is_grade(value: Any) -> bool:
    """A whole number ≥ 0, also written as 2.0 or "2"."""
    if isinstance(value, bool):
        return False
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    return number >= 0 and number.is_integer()


def _kind(value: Any) -> str:
    """The JSON kind of a value with its article, for messages: "an object", "a list", "null"."""
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "a number",
            float: "a number", type(None): "null"}.get(type(value), type(value).__name__)


def unknown_judgments(qrels: Mapping[str, Any], needs: Collection[str],
                      seeds: Collection[str]) -> list[UnknownJudgment]:
    """The judgments of a checked qrels document whose need or seed is not among the given ids."""
    out = []
    for i, j in enumerate(qrels["judgments"]):
        missing = [key for key, ids in (("need", needs), ("seed", seeds)) if str(j[key]) not in ids]
        if missing:
            out.append(UnknownJudgment(i, str(j["need"]), str(j["seed"]), " and ".join(missing)))
    return out

