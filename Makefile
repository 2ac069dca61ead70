# Two commands for a fresh machine: `make run` and `make test` (see README.md).
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
FLASK   := $(BIN)/flask --app wsgi
PORT    ?= 5000
# Uploaded content is served on a second port: another origin than the portal's
# (core/origins.py). CONTENT_PORT=0 serves everything on PORT (content not isolated).
CONTENT_PORT ?= 5001
WORKERS ?= 2

.PHONY: run test setup setup-test migrate bench clean

$(BIN)/activate:
	$(PY) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/activate
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

# The player's browser runtime: scorm-again from npm (package-lock.json), not committed.
NPM_STAMP := node_modules/.installed

$(NPM_STAMP): package.json package-lock.json
	command -v npm >/dev/null 2>&1 || { apt-get update && apt-get install -y --no-install-recommends nodejs npm; }
	npm ci --no-audit --no-fund
	touch $@

# Headless Chromium for the browser tests (Debian's build; Playwright drives it).
/usr/bin/chromium:
	apt-get update && apt-get install -y --no-install-recommends chromium chromium-driver

# xmlsec1 checks the signatures of SAML sign-ins (pysaml2 runs it; accounts/saml.py).
/usr/bin/xmlsec1:
	apt-get update && apt-get install -y --no-install-recommends xmlsec1

# pgbouncer in transaction mode, which the tests put between the service and PostgreSQL
# (DATABASE_TRANSACTION_POOLING; tests/test_pgbouncer.py).
/usr/sbin/pgbouncer:
	apt-get update && apt-get install -y --no-install-recommends pgbouncer

setup: $(VENV)/.installed $(NPM_STAMP) /usr/bin/xmlsec1
	$(FLASK) db upgrade
	$(FLASK) bootstrap

run: setup
	PORT=$(PORT) CONTENT_PORT=$(CONTENT_PORT) WORKERS=$(WORKERS) $(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

setup-test: $(VENV)/.installed $(NPM_STAMP) /usr/bin/chromium /usr/bin/xmlsec1 /usr/sbin/pgbouncer

# The whole suite on SQLite, then on PostgreSQL (scripts/test.sh says how it finds it).
test: setup-test
	scripts/test.sh

clean:
	rm -rf $(VENV) instance
