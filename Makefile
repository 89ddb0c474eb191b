# Beteiligung: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
PORT ?= 8000
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck unit install catalogs extract-messages vendor clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP) catalogs

# Compile the gettext catalogs (the .po files are in git, the .mo files are built).
catalogs: $(STAMP)
	$(BIN)/pybabel compile -d src/beteiligung/locale -D messages

# Re-extract msgids (code, templates, form labels) into messages.pot and update en/messages.po.
extract-messages: $(STAMP)
	$(BIN)/python -m beteiligung.locale.extract

run: install
	BETEILIGUNG_PORT=$(PORT) $(BIN)/beteiligung run

lint: $(STAMP)
	$(BIN)/ruff check src tests migrations
	$(BIN)/ruff format --check src tests
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy

# Browser tests run in their own pytest process: sync Playwright keeps an event loop running in
# the main thread for the rest of its session, which the async tests cannot share.
test: install lint typecheck
	$(BIN)/python -m pytest -q -ra --ignore=tests/browser $(PYTEST_ARGS)
	$(BIN)/python -m pytest -q -ra tests/browser $(PYTEST_ARGS)

# Refresh the vendored front-end files (htmx, KERN, axe-core) from npm, with checksums.
vendor:
	bash scripts/vendor.sh

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
