# Two commands: `make run` serves the demo on SQLite, `make test` runs every check.
#
# Both install from lock files kept in git: requirements.lock (what serving needs, exact versions
# with hashes) for `make run` in .venv-run, requirements-dev.lock (that and the dev extra) for
# `make test` in .venv. The locks are compiled from pyproject.toml by uv and carry the SHA-256 of
# its requirements: when those change the locks are compiled again (that needs PyPI) and the venvs
# made again; otherwise (a fresh clone, a change to the tools' settings) the committed locks stand. `make lock` compiles them again on purpose
# (`make lock UPGRADE=--upgrade` moves every pin to the newest version pyproject.toml allows).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
RUN_VENV := .venv-run
RUN_BIN := $(RUN_VENV)/bin
RUN_INSTALLED := $(RUN_VENV)/.installed
LOCK_VENV := .venv-lock
UV := $(LOCK_VENV)/bin/uv
LOCKS := requirements.lock requirements-dev.lock
HOST ?= 127.0.0.1
PORT ?= 5000
# The address in emails' links; `make run PORT=8080` makes them point at that port.
PUBLIC_URL ?= http://$(HOST):$(PORT)
# pytest-xdist workers: one per core; `make test TEST_WORKERS=0` runs the suite in one process.
TEST_WORKERS ?= auto
UPGRADE ?=

REQUIREMENTS_SHA = $(shell $(PYTHON) -c 'import hashlib, json, tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; \
	print(hashlib.sha256(json.dumps([p["requires-python"], p["dependencies"], p["optional-dependencies"]]).encode()).hexdigest())')
LOCK_STAMP = \# requirements in pyproject.toml: sha256 $(REQUIREMENTS_SHA)
# The uv that compiles the locks is the one the dev extra names, so its version is bounded like the rest.
UV_REQUIREMENT = $(shell $(PYTHON) -c 'import tomllib; dev = tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["dev"]; print(next(r for r in dev if r.startswith("uv")))')
COMPILE = $(UV) pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command "make lock" --quiet $(UPGRADE)

.PHONY: run test install install-run lock FORCE

install: $(INSTALLED)

install-run: $(RUN_INSTALLED)

# Checked on every run; a lock is rewritten (and so newer than the venv made from it) only when
# pyproject.toml's requirements are not the ones it was compiled from.
$(LOCKS): FORCE
	@if ! grep -qxF '$(LOCK_STAMP)' requirements.lock 2>/dev/null || ! grep -qxF '$(LOCK_STAMP)' requirements-dev.lock 2>/dev/null; then \
		echo "pyproject.toml changed: compiling the lock files again"; \
		$(MAKE) --no-print-directory lock; \
	fi

lock: $(UV)
	$(COMPILE) -o requirements.lock
	$(COMPILE) --extra dev -c requirements.lock -o requirements-dev.lock
	for lock in $(LOCKS); do { echo '$(LOCK_STAMP)'; cat $$lock; } > $$lock.new && mv $$lock.new $$lock; done

$(UV):
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet '$(UV_REQUIREMENT)'

# Each venv is made afresh from its lock, so it holds exactly what the lock says.
$(INSTALLED): requirements-dev.lock
	$(PYTHON) -m venv --clear $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(INSTALLED)

$(RUN_INSTALLED): requirements.lock
	$(PYTHON) -m venv --clear $(RUN_VENV)
	$(RUN_BIN)/pip install --quiet --upgrade pip
	$(RUN_BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(RUN_BIN)/pip install --quiet --no-deps -e .
	touch $(RUN_INSTALLED)

run: $(RUN_INSTALLED)
	MARKETPLACE_ENV=development PUBLIC_URL=$(PUBLIC_URL) $(RUN_BIN)/flask --app wsgi db upgrade
	MARKETPLACE_ENV=development PUBLIC_URL=$(PUBLIC_URL) $(RUN_BIN)/flask --app wsgi demo
	MARKETPLACE_ENV=development PUBLIC_URL=$(PUBLIC_URL) $(RUN_BIN)/flask --app wsgi send-outbox --watch --interval 5 > /dev/null & \
	sender=$$!; trap 'kill $$sender' EXIT INT TERM; \
	MARKETPLACE_ENV=development PUBLIC_URL=$(PUBLIC_URL) $(RUN_BIN)/flask --app wsgi run --host $(HOST) --port $(PORT)

test: $(INSTALLED)
	$(BIN)/ruff check --quiet .
	$(BIN)/ruff format --check --quiet .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/bandit --quiet --recursive --severity-level medium kernel organisations joining catalogue pools orders billing shared_services rebates frameworks reports library trading tenders directory app
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal
