"""Community data the service ships with: labs, demo members, vocabulary, support programs."""

from pathlib import Path

SEED_DIR = Path(__file__).parent
DEMO_ROSTER = SEED_DIR / "demo_roster.json"
LABS = SEED_DIR / "labs.json"
VOCABULARY = SEED_DIR / "vocabulary.yaml"
PROGRAMS = SEED_DIR / "programs.yaml"
