"""Schemathesis against /openapi.json with a secretariat key: no server error, no response outside the schema.

Every operation of the schema gets a bounded number of valid and of invalid generated requests, so the run
stays short (well under a minute per database).
"""

import itertools

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance

from app.config import Settings
from app.main import create_app
from app.matches.engine import MatchingEngine
from embeddings.encoder import SentenceTransformerEncoder
from matching.vocabulary import Vocabulary
from tests.api.conftest import World

EXAMPLES_PER_OPERATION = {GenerationMode.POSITIVE: 8, GenerationMode.NEGATIVE: 4}
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_every_operation_conforms_to_the_schema(api_settings: Settings, world: World,
                                                encoder: SentenceTransformerEncoder, vocabulary: Vocabulary) -> None:
    engine = MatchingEngine(api_settings, encoder, vocabulary)
    headers = world.headers("secretariat")
    with TestClient(create_app(api_settings, engine)) as client:  # runs the lifespan: database and engine ready
        schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 30
        for operation, mode in itertools.product(operations, EXAMPLES_PER_OPERATION):
            # Negative cases (invalid on purpose) must be refused with a 4xx, never a 500.
            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=EXAMPLES_PER_OPERATION[mode], deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            def conforms(case: schemathesis.Case) -> None:
                case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                conforms()
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE  # an operation with nothing to get wrong
