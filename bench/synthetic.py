"""A large synthetic roster for latency benchmarks, generated from the shipped seed data: every text
names concepts of the domain vocabulary (so tagging, concept candidates and reasons do real work) and
recombines sentences of the demo members (so tokens and vectors look like real postings)."""

import json
import random
import re
from typing import Any

from app.roster.vocab import FORMAT, KYUSHU, ROLES
from matching.vocabulary import load_vocabulary
from seed import DEMO_ROSTER, VOCABULARY

SENTENCE = re.compile(r"(?<=[。！？])")
INDUSTRIES = "ADEGHIMP"
PER_ORG = 5


def _japanese_terms() -> dict[str, list[str]]:
    """Japanese surface forms of the vocabulary, by concept kind."""
    by_kind: dict[str, list[str]] = {}
    for concept in load_vocabulary(VOCABULARY).concepts.values():
        terms = [t for t in (concept.label_ja, *concept.terms) if not t.isascii()]
        by_kind.setdefault(concept.kind, []).extend(terms[:4])
    return by_kind


def synthetic_roster(n_seeds: int, n_needs: int = 200, seed: int = 7) -> dict[str, Any]:
    """A valid roster with n_seeds seeds and n_needs needs, reproducible for a given seed."""
    rng = random.Random(seed)
    demo = json.loads(DEMO_ROSTER.read_text(encoding="utf-8"))
    postings = [p for o in demo["organizations"] for p in o["seeds"] + o["needs"]]
    sentences = [s for p in postings for s in SENTENCE.split(p["description"]) if len(s) > 8]
    terms = _japanese_terms()
    tech, apps = terms["technology"], terms["application"]
    problems = terms.get("problem", apps)

    def offer() -> str:
        return f"{rng.choice(tech)}と{rng.choice(tech)}を組み合わせた{rng.choice(apps)}を提供します。"

    def ask() -> str:
        return f"{rng.choice(problems)}に困っており、{rng.choice(apps)}を検討しています。"

    orgs: list[dict[str, Any]] = []
    for i in range(max(n_seeds // PER_ORG, 1) + n_needs // 2):
        orgs.append({"id": f"B-ORG-{i:05d}", "name": f"ベンチ会員{i}", "member_type": "corporate",
                     "roles": [rng.choice(ROLES[:-1])], "support_type": None, "prefecture": rng.choice(KYUSHU),
                     "industry": rng.choice(INDUSTRIES), "description": rng.choice(sentences),
                     "needs": [], "seeds": []})
    for j in range(n_seeds):
        orgs[j // PER_ORG]["seeds"].append({
            "id": f"B-S-{j:06d}", "title": f"{rng.choice(apps)}の{rng.choice(tech)}サービス（{j}）",
            "description": offer() + "".join(rng.sample(sentences, 2)), "tags": [],
            "industries_served": rng.sample(INDUSTRIES, 2)})
    for j in range(n_needs):
        orgs[len(orgs) - 1 - (j % (n_needs // 2 or 1))]["needs"].append({
            "id": f"B-N-{j:05d}", "title": f"{rng.choice(problems)}を解決したい（課題{j}）",
            "description": ask() + rng.choice(sentences)})
    return {"format": FORMAT, "organizations": orgs}
