"""How the meaning threshold was chosen: on the demo roster, concepts found by meaning in each sentence of a
text compared with the concepts the whole text names by its terms, per threshold.

A concept found by meaning that the text also names counts as right; one it does not name may still be
right (a plain text names little), so the share is a lower bound of the precision. The default threshold is
the lowest at which at least half of the concepts found by meaning in the roster's needs and seeds together
are also named: below it, they are more often a guess than a finding.

    python -m bench.concept_threshold [--roster seed/demo_roster.json]
"""

import argparse
import json
from dataclasses import replace
from pathlib import Path

from embeddings.encoder import SentenceTransformerEncoder
from matching.meaning import ConceptMeaning, sentences
from matching.vocabulary import load_vocabulary
from seed import VOCABULARY

ROOT = Path(__file__).resolve().parents[1]
KINDS = ("problem", "application", "technology", "support")  # the kinds with phrasings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--roster", type=Path, default=ROOT / "seed/demo_roster.json")
    parser.add_argument("--model", default="use-multilingual-v3")
    args = parser.parse_args()
    vocabulary = load_vocabulary(VOCABULARY)
    encoder = SentenceTransformerEncoder(args.model)
    phrasings = vocabulary.phrasings()
    base = ConceptMeaning.build(phrasings, encoder.encode_documents([t for _, t in phrasings]), threshold=0.0)
    roster = json.loads(args.roster.read_text(encoding="utf-8"))
    thresholds = (0.45, 0.5, 0.55, 0.6, 0.65)
    totals = dict.fromkeys(thresholds, 0)
    rights = dict.fromkeys(thresholds, 0)
    for kind in ("needs", "seeds"):
        texts = [p for org in roster["organizations"] for p in org.get(kind) or []]
        closeness = [base.closeness(encoder.encode_documents(sentences(p["title"], p["description"])))
                     for p in texts]
        named = [{c for c in vocabulary.tag("\n".join([p["title"], p["description"]])).concepts
                  if vocabulary.kind(c) in KINDS} for p in texts]
        print(f"{kind} ({len(texts)}): threshold, concepts found by meaning per text, share also named")
        for threshold in thresholds:
            meaning = replace(base, threshold=threshold)
            found = [set(meaning.found(c)) for c in closeness]
            total = sum(len(f) for f in found)
            right = sum(len(f & n) for f, n in zip(found, named, strict=True))
            totals[threshold] += total
            rights[threshold] += right
            print(f"  {threshold:.2f}  {total / len(texts):.2f}  {right / total if total else 0:.2f}")
    chosen = min((t for t in thresholds if totals[t] and rights[t] / totals[t] >= 0.5), default=None)
    print("needs and seeds together:", {t: round(rights[t] / totals[t], 2) for t in thresholds if totals[t]})
    print(f"lowest threshold with at least half also named: {chosen}")


if __name__ == "__main__":
    main()
