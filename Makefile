# Set-up and everyday tasks. `make run` and `make test` work on a fresh machine with Python 3.11.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
# torch goes first, pinned, so the rest resolves against it; pip takes the CPU wheel wherever its find-links or
# index offer one (the default index's build pulls several GB of CUDA; the Dockerfile names the CPU index).
TORCH := torch==2.13.0

.PHONY: install install-dev run mailbox test screenshots lint typecheck messages bench clean

$(BIN)/python:
	@# Debian ships venv's pip bootstrap separately; install it where we may, else say what is missing.
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& apt-get update -qq && apt-get install -y -qq python3.11-venv; } \
		|| { echo "$(PYTHON) cannot create virtual environments: install Debian's python3.11-venv" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Stamps inside the venv: pip runs again only when pyproject.toml changed (the package is installed editable, so
# code changes need no reinstall), and `git status` stays clean. The dev install includes the plain one.
INSTALLED := $(VENV)/.installed
INSTALLED_DEV := $(VENV)/.installed-dev

install: $(INSTALLED)

install-dev: $(INSTALLED_DEV)

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet $(TORCH)
	$(BIN)/pip install --quiet -e .
	touch $@

$(INSTALLED_DEV): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet $(TORCH)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(INSTALLED) $@

run: install
	$(BIN)/iotmatch db upgrade
	$(BIN)/iotmatch seed
	$(BIN)/iotmatch serve

# The e-mails `make run` sends, printed in this terminal (a local SMTP server on 127.0.0.1:8025).
mailbox: install
	$(BIN)/iotmatch mailbox

test: install-dev
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -q

# Refresh the screenshots in docs/ (the browser tests otherwise write them under var/).
screenshots: install-dev
	IOTMATCH_SCREENSHOTS=$(CURDIR)/docs/screenshots HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -q -m browser tests/web

lint: install-dev
	$(BIN)/ruff check app matching embeddings migrations seed tests bench

typecheck: install-dev
	$(BIN)/mypy app matching embeddings bench tests

# The message catalog (docs/messages.md): messages.pot from the codes the code and the templates use, then the check
# that every code has its text in every language, with the same placeholders, and that none is left unused.
messages: install
	$(BIN)/pybabel --quiet extract -F app/locale/babel.cfg --no-location --omit-header --sort-output \
		-o app/locale/messages.pot app
	$(BIN)/python -m app.locale.check

bench: install-dev
	$(BIN)/python -m bench.ranking_quality
	$(BIN)/python -m bench.latency
	$(BIN)/python -m bench.schedule_bench --docs docs/events.md

clean:
	rm -rf $(VENV) var iotmatch.db
