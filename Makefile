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

typecheck: $(STAMP)
	$(BIN)/mypy

test: install lint typecheck
	$(BIN)/python -m pytest -q -ra $(PYTEST_ARGS)

# Refresh the vendored front-end files (htmx, KERN, axe-core) from npm, with checksums.
vendor:
	bash scripts/vendor.sh

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
