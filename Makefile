# Two commands: `make run` serves the demo on SQLite, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000
# pytest-xdist workers: one per core; `make test TEST_WORKERS=0` runs the suite in one process.
TEST_WORKERS ?= auto

.PHONY: run test install

install: $(INSTALLED)

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(INSTALLED)

run: $(INSTALLED)
	MARKETPLACE_ENV=development $(BIN)/flask --app wsgi db upgrade
	MARKETPLACE_ENV=development $(BIN)/flask --app wsgi demo
	MARKETPLACE_ENV=development $(BIN)/flask --app wsgi run --host $(HOST) --port $(PORT)

test: $(INSTALLED)
	$(BIN)/ruff check --quiet .
	$(BIN)/ruff format --check --quiet .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/bandit --quiet --recursive --severity-level medium kernel organisations catalogue orders billing shared_services reports app
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile
