# The README's commands. `make run` starts the portal with demo data; `make test` runs the suite.
# Needs only Python 3.11 (python3). With DATABASE_URL, CELERY_BROKER_URL and REDIS_URL set,
# both use PostgreSQL and Redis instead of the embedded SQLite file and filesystem broker.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# The demo that `make run` starts logs in without a second factor (production: on).
TWO_FACTOR_REQUIRED ?= false
PYTEST_ARGS ?= -n auto

.PHONY: run test install install-dev messages static secret lint lock clean backup restore bench bench-smoke

run: install secret messages
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py load_demo
	PORT=$(PORT) TWO_FACTOR_REQUIRED=$(TWO_FACTOR_REQUIRED) exec scripts/run-embedded.sh

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

# One archive of the database and uploads under var/backups (or BACKUP_DIR, OUTPUT=...).
# WITH_KEYS=1 also stores var/secret_key, which decrypts ID numbers: keep such archives apart.
backup: install
	$(BIN)/python manage.py backup $(if $(OUTPUT),--output "$(OUTPUT)") $(if $(WITH_KEYS),--with-keys)

# make restore FILE=var/backups/portal-....tar.gz [FORCE=1] [WITH_KEYS=1]. Without a key
# Django cannot start, so on a fresh machine WITH_KEYS=1 first takes the archive's key file.
restore: install
	@test -n "$(or $(FILE),$(BACKUP))" || { echo "usage: make restore FILE=path/to/portal-YYYYMMDD-HHMMSS.tar.gz [FORCE=1] [WITH_KEYS=1]" >&2; exit 2; }
	@key="$${SECRET_KEY_FILE:-$${PORTAL_VAR_DIR:-var}/secret_key}"; \
	if [ -n "$(WITH_KEYS)" ] && [ -z "$$SECRET_KEY" ] && [ ! -e "$$key" ]; then \
		mkdir -p "$$(dirname "$$key")" && umask 077 \
		&& tar -xzOf "$(or $(FILE),$(BACKUP))" keys/secret_key > "$$key.new" && mv "$$key.new" "$$key" \
		|| { rm -f "$$key.new"; echo "the archive holds no key file (was it made with WITH_KEYS=1?)" >&2; exit 1; }; \
	fi
	$(BIN)/python manage.py restore "$(or $(FILE),$(BACKUP))" $(if $(FORCE),--force) $(if $(WITH_KEYS),--with-keys)

# Compiled with polib, so GNU gettext is not needed.
messages: install
	$(BIN)/python scripts/compile_messages.py

static: install secret
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The benchmark (docs/performance.md): PostgreSQL at BENCH_DATABASE_URL, generated data at
# scale 1 and 100 (a million cases; the first run generates them, about 13–30 minutes),
# gunicorn, a table of latencies and throughput in var/bench/results.md. Not part of test.
bench: install secret messages
	$(BIN)/python scripts/bench.py --scales 1,100

# CI's quick run of the same, at scale 1, so the benchmark keeps working.
bench-smoke: install secret messages
	$(BIN)/python scripts/bench.py --scales 1 --seconds 1 --output var/bench/smoke.md

# Developers only: re-pin after editing pyproject.toml (needs pip-tools).
lock:
	pip-compile --quiet --strip-extras --no-header --no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml
	pip-compile --quiet --strip-extras --no-header --no-emit-index-url --no-emit-find-links --extra dev -c requirements.lock -o requirements-dev.lock pyproject.toml

clean:
	rm -rf $(VENV) var/static
