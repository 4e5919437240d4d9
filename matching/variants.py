"""Rewritten needs for evaluation: the same needs in other words (plain Japanese, English …), judged by the
same qrels, so the ranking can be measured on how members really write and not only on one phrasing.

A variant file is either a JSON object `{"format": "iotmatch/need-variant-v1", "needs": [{"id", "title",
"description", "tags"?}, …]}` or a whole roster in the exchange format, whose needs are taken by id.
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

VARIANT_FORMAT = "iotmatch/need-variant-v1"


class VariantInvalid(Exception):
    """A variant file that cannot be used; `problems` says where and what to fix."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the variant")
        self.problems = problems


@dataclass(frozen=True)
class RewrittenNeed:
    """A need's new wording; its id, member and judgments stay those of the roster."""

    id: str
    title: str
    description: str
    tags: tuple[str, ...] = ()


def read_variant(path: Path) -> dict[str, RewrittenNeed]:
    """The rewritten needs of a file by id; raises VariantInvalid listing every problem."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise VariantInvalid([f"{path} does not exist"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise VariantInvalid([f"{path.name} cannot be read as UTF-8 text: {exc}"]) from exc
    except json.JSONDecodeError as exc:
        raise VariantInvalid([f"{path.name} is not JSON: {exc}"]) from exc
    if not isinstance(data, dict):
        raise VariantInvalid([f"{path.name} must be a JSON object with \"needs\" (or a roster)"])
    if isinstance(data.get("organizations"), list):  # a whole roster: its needs
        raw = [n for org in data["organizations"] if isinstance(org, dict) for n in org.get("needs") or []]
    elif isinstance(data.get("needs"), list):
        raw = data["needs"]
    else:
        raise VariantInvalid([f"{path.name}: needs: missing; give a list of {{\"id\", \"title\", \"description\"}}"])
    problems: list[str] = []
    needs: dict[str, RewrittenNeed] = {}
    for i, item in enumerate(raw):
        found = _need_problems(i, item)
        if found:
            problems += found
            continue
        if item["id"] in needs:
            problems.append(f"need {i} / id: {item['id']} is listed twice")
            continue
        needs[item["id"]] = RewrittenNeed(item["id"], item["title"].strip(), item["description"].strip(),
                                          tuple(str(t) for t in item.get("tags") or ()))
    if not needs and not problems:
        problems.append(f"{path.name}: the list of needs is empty")
    if problems:
        raise VariantInvalid(problems)
    return needs


def _need_problems(index: int, item: Any) -> list[str]:
    if not isinstance(item, dict):
        return [f"need {index}: must be an object with id, title and description"]
    problems = [f"need {index} / {key}: must be a non-empty string" for key in ("id", "title", "description")
                if not isinstance(item.get(key), str) or not item[key].strip()]
    tags = item.get("tags")
    if tags is not None and not (isinstance(tags, list) and all(isinstance(t, str) for t in tags)):
        problems.append(f"need {index} / tags: must be a list of strings")
    return problems


def apply_variant(roster: dict[str, Any], needs: dict[str, RewrittenNeed]) -> dict[str, Any]:
    """A copy of the roster whose needs listed in the variant carry the variant's wording."""
    organizations = []
    for org in roster["organizations"]:
        rewritten = []
        for need in org.get("needs") or []:
            new = needs.get(need["id"])
            rewritten.append(need if new is None else
                             {**need, "title": new.title, "description": new.description, "tags": list(new.tags)})
        organizations.append({**org, "needs": rewritten})
    return {**roster, "organizations": organizations}
