"""Schemathesis against /openapi.json with a secretariat key: no server error, no response outside the schema.

Every operation of the schema gets a bounded number of valid and of invalid generated requests, on a fresh
community each (a generated DELETE may remove members or revoke the key), so the run stays well under a
minute per database.
"""

import itertools
import os
from collections import Counter

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance
from schemathesis.core.result import Ok
from sqlalchemy.orm import Session

from app.config import Settings
from app.main import create_app
from app.matches.engine import MatchingEngine
from embeddings.encoder import SentenceTransformerEncoder
from matching.vocabulary import Vocabulary
from tests.api.conftest import World, rebuild_world

# The suite's run is the same every time (derandomized); IOTMATCH_FUZZ_EXPLORE=1 draws new, five times as many.
EXPLORE = os.environ.get("IOTMATCH_FUZZ_EXPLORE") == "1"
EXAMPLES_PER_OPERATION = {mode: n * (5 if EXPLORE else 1)
                          for mode, n in {GenerationMode.POSITIVE: 6, GenerationMode.NEGATIVE: 3}.items()}
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_every_operation_conforms_to_the_schema(api_settings: Settings, world: World, session: Session,
                                                encoder: SentenceTransformerEncoder, vocabulary: Vocabulary) -> None:
    # No alert pass: it would rank the generated postings while each operation's community is rebuilt under it.
    api_settings = api_settings.model_copy(update={"alert_poll_seconds": 0})
    engine = MatchingEngine(api_settings, encoder, vocabulary)
    engine.start(session)  # the model's concept phrasings embedded up front, as the server's start does
    session.commit()
    statuses: Counter[tuple[str, int]] = Counter()
    refused: set[str] = set()
    with TestClient(create_app(api_settings, engine)) as client:  # runs the lifespan: database and engine ready
        schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
        results = list(schema.get_all_operations())
        operations = [result.ok() for result in results if isinstance(result, Ok)]
        assert len(operations) == len(results) >= 30  # every operation of the document could be read
        for operation, mode in itertools.product(operations, EXAMPLES_PER_OPERATION):
            _fuzz(operation, mode, rebuild_world(session).headers("secretariat"), statuses)
            if mode is GenerationMode.POSITIVE and statuses.pop(("positive", 401), 0):
                refused.add(operation.label)
    # The key stayed valid (unless an operation revoked it), so every operation was really exercised.
    assert refused <= {"DELETE /v1/keys/{key_id}"}
    assert sum(n for (mode, status), n in statuses.items() if mode == "positive" and status < 300) > 50, statuses


def _fuzz(operation: schemathesis.APIOperation, mode: GenerationMode, headers: dict[str, str],
          statuses: Counter[tuple[str, int]]) -> None:

    """Generated requests of the mode for one operation; negative ones (invalid on purpose) must get a 4xx."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES_PER_OPERATION[mode], deadline=None, database=None, derandomize=not EXPLORE,
              suppress_health_check=list(HealthCheck))
    def conforms(case: schemathesis.Case) -> None:
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        statuses[mode.value, response.status_code] += 1

    try:
        conforms()
    except Unsatisfiable:
        assert mode is GenerationMode.NEGATIVE  # an operation with nothing to get wrong
