# Endoplan — the two commands are `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
NODE_INSTALLED := node_modules/.installed
# The PostgreSQL used by the second test pass in CI (trust auth on this machine and in CI).
CI_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
CI_REDIS_URL ?= redis://127.0.0.1:6379/0

# In CI the Celery tests use the machine's Redis; elsewhere they start their own.
ifeq ($(CI),true)
export REDIS_URL ?= $(CI_REDIS_URL)
endif

.PHONY: install chromium run test test-sqlite test-postgres lint format bench check-deploy clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

$(NODE_INSTALLED): package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

install: $(INSTALLED) $(NODE_INSTALLED)

run: install
	$(PY) -m clinic.devstack

# The browser tests drive the Debian package's headless Chromium. On a fresh machine `make test`
# installs it when it runs as root (as .ci/run does); otherwise it stops at once with the command.
CHROMIUM := /usr/bin/chromium

chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
		if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
			echo "Installing Chromium for the browser tests (apt-get install chromium)"; \
			apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else \
			echo "The browser tests need Chromium at $(CHROMIUM); run:" >&2; \
			echo "  sudo apt-get update && sudo apt-get install -y chromium" >&2; \
			exit 1; \
		fi; \
	fi

# SQLite always; PostgreSQL too when CI=true or TEST_POSTGRES=true.
test: install chromium
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(MAKE) --no-print-directory test-sqlite
	@if [ "$$CI" = "true" ] || [ "$$TEST_POSTGRES" = "true" ]; then \
		$(MAKE) --no-print-directory test-postgres check-deploy; fi

test-sqlite: install chromium
	env -u DATABASE_URL $(PY) -m pytest

test-postgres: install chromium
	DATABASE_URL=$${DATABASE_URL:-$(CI_DATABASE_URL)} $(PY) -m pytest

check-deploy: install
	DEPLOYMENT=production SECRET_KEY=check-deploy-$$(date +%s)-a-long-random-enough-secret-value \
		ALLOWED_HOSTS=clinic.example.org EMAIL_HOST=smtp.example.org \
		$(PY) manage.py check --deploy --fail-level WARNING

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: install
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

bench: install
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) node_modules var
