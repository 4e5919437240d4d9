# Set-up and everyday tasks. `make run` and `make test` work on a fresh machine with Python 3.11.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
# The CPU build of torch is installed first and explicitly: an unpinned torch pulls several GB of CUDA.
TORCH := torch==2.13.0

.PHONY: install install-dev run test lint typecheck bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet $(TORCH)
	$(BIN)/pip install --quiet -e .

install-dev: $(BIN)/python
	$(BIN)/pip install --quiet $(TORCH)
	$(BIN)/pip install --quiet -e '.[dev]'

run: install
	$(BIN)/iotmatch db upgrade
	$(BIN)/iotmatch seed
	$(BIN)/iotmatch serve

test: install-dev
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -q

lint: install-dev
	$(BIN)/ruff check app matching embeddings migrations seed tests bench

typecheck: install-dev
	$(BIN)/mypy app matching embeddings

bench: install-dev
	$(BIN)/python -m bench.ranking_quality
	$(BIN)/python -m bench.latency

clean:
	rm -rf $(VENV) var iotmatch.db
