# The README's commands. `make run` starts the portal with demo data; `make test` runs the suite.
# Needs only Python 3.11 (python3). With DATABASE_URL, CELERY_BROKER_URL and REDIS_URL set,
# both use PostgreSQL and Redis instead of the embedded SQLite file and filesystem broker.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
PYTEST_ARGS ?= -n auto

.PHONY: run test install install-dev messages static secret lint lock clean

run: install secret messages
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py load_demo
	PORT=$(PORT) exec scripts/run-embedded.sh

test: install-dev secret messages
	$(BIN)/pytest $(PYTEST_ARGS)

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.lock | $(VENV)/bin/python
	$(BIN)/pip install --quiet -r requirements.lock
	touch $@

$(VENV)/.installed-dev: requirements-dev.lock $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.lock
	touch $@

# A random key generated once; production sets SECRET_KEY instead.
secret: var/secret_key
var/secret_key: | $(VENV)/bin/python
	mkdir -p var
	umask 077 && $(BIN)/python -c "import secrets; print(secrets.token_urlsafe(50))" > $@

# Compiled with polib, so GNU gettext is not needed.
messages: install
	$(BIN)/python scripts/compile_messages.py

static: install secret
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Developers only: re-pin after editing pyproject.toml (needs pip-tools).
lock:
	pip-compile --quiet --strip-extras --no-header --no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml
	pip-compile --quiet --strip-extras --no-header --no-emit-index-url --no-emit-find-links --extra dev -c requirements.lock -o requirements-dev.lock pyproject.toml

clean:
	rm -rf $(VENV) var/static
