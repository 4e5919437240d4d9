"""A large synthetic roster built from the shipped demo members' sentences, for latency benchmarks."""

import json
import random
import re
from typing import Any

from app.roster.vocab import FORMAT, KYUSHU, ROLES
from seed import DEMO_ROSTER

SENTENCE = re.compile(r"(?<=[。！？])")


def synthetic_roster(n_seeds: int, n_needs: int = 200, seed: int = 7) -> dict[str, Any]:
    """A valid roster with n_seeds seeds whose texts recombine real sentences (so tokens and vectors are realistic)."""
    rng = random.Random(seed)
    demo = json.loads(DEMO_ROSTER.read_text(encoding="utf-8"))
    postings = [p for o in demo["organizations"] for p in o["seeds"] + o["needs"]]
    sentences = [s for p in postings for s in SENTENCE.split(p["description"]) if len(s) > 8]
    titles = [p["title"] for p in postings]
    orgs = []
    per_org = 5
    for i in range(max(n_seeds // per_org, 1) + n_needs // 2):
        org = {"id": f"B-ORG-{i:05d}", "name": f"ベンチ会員{i}", "member_type": "corporate",
               "roles": [rng.choice(ROLES[:-1])], "support_type": None, "prefecture": rng.choice(KYUSHU),
               "industry": rng.choice("ADEGHIMP"), "description": rng.choice(sentences), "needs": [], "seeds": []}
        orgs.append(org)
    for j in range(n_seeds):
        orgs[j // per_org]["seeds"].append({
            "id": f"B-S-{j:06d}", "title": f"{rng.choice(titles)}（{j}）",
            "description": "".join(rng.sample(sentences, 3)), "tags": [],
            "industries_served": rng.sample("ADEGHIMP", 2)})
    for j in range(n_needs):
        orgs[len(orgs) - 1 - (j % (n_needs // 2 or 1))]["needs"].append({
            "id": f"B-N-{j:05d}", "title": f"{rng.choice(titles)}（課題{j}）",
            "description": "".join(rng.sample(sentences, 2))})
    return {"format": FORMAT, "organizations": orgs}
