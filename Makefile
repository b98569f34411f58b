# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test lint format install install-dev lock wheel docs translations clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(BIN)/python -m swarm init-db
	$(BIN)/python -m swarm seed --demo
	$(BIN)/python -m swarm serve --host $(HOST) --port $(PORT)

# The lock: exact versions of everything pyproject.toml's ranges pull in, for every platform.
# Run after changing [project] dependencies (or to upgrade: add --upgrade-package NAME).
UV_COMPILE := $(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 --quiet
lock: install-dev
	$(UV_COMPILE) -o requirements.txt
	$(UV_COMPILE) --extra dev -c requirements.txt -o requirements-dev.txt

# The wheel (dist/swarm-*.whl) that carries templates, static files and migrations with it.
wheel: install-dev
	$(BIN)/python -m pip wheel --quiet --no-build-isolation --no-deps -w dist .

# docs/api.md's endpoint list, from the OpenAPI document.
docs: install
	$(BIN)/python -m swarm openapi --markdown --write docs/api.md

# The catalogues (docs/translations.md): extract every marked sentence, merge it into each
# language's .po (new ones come untranslated, changed ones fuzzy), compile the .mo files. Besides
# gettext's own names, the first argument of every typed domain error, the message of abort()
# and of a socket event's error() are sentences people read; tests/unit/test_translations.py
# extracts with the same keywords.
BABEL_KEYWORDS := N_ NotFound Forbidden Invalid TooLarge IllegalTransition Conflict abort:2 error:2 require_role:3
translations: install
	mkdir -p build
	$(BIN)/pybabel extract -F babel.cfg $(addprefix -k ,$(BABEL_KEYWORDS)) \
		--no-wrap --sort-by-file --project Swarm -o build/messages.pot .
	$(BIN)/pybabel update --no-wrap -i build/messages.pot -d swarm/translations
	$(BIN)/pybabel compile --statistics -d swarm/translations

# The pure packages (no Flask, no database) are held to mypy --strict.
PURE := swarm/routing.py swarm/phrases.py swarm/events.py swarm/clock.py swarm/resources.py swarm/skills swarm/matching swarm/tiers swarm/metrics \
	swarm/simulation swarm/rules swarm/notifications/kinds.py

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict $(PURE)
	$(BIN)/lint-imports --no-cache

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
