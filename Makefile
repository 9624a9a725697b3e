# Two commands do everything on a fresh machine:
#   make run   set up and start the server on SQLite with demo data
#   make test  set up and run every test
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.hesabu-installed

.PHONY: setup run test lint bench clean browser kivy-libs node

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[server,app,dev,bench]'
	touch $(STAMP)

setup: $(STAMP)

# The server on SQLite in instance/ with the demo dataset (SDI forms, federations, users
# of every role, settlements, households, conflicts, reviews). Loading is idempotent:
# a second `make run` adds nothing.
INSTANCE := $(CURDIR)/instance
SERVER_DB := sqlite:///$(INSTANCE)/hesabu.db

run: setup
	$(VENV)/bin/hesabu db upgrade --database-url $(SERVER_DB) --instance $(INSTANCE)
	$(VENV)/bin/hesabu server demo-data --database-url $(SERVER_DB) --instance $(INSTANCE)
	@echo 'Open http://127.0.0.1:5000/login and log in with one of the demo logins above.'
	@echo 'API documentation: http://127.0.0.1:5000/api/docs'
	@echo 'Enrol a tablet: $(VENV)/bin/hesabu server enrol-code --database-url $(SERVER_DB)'
	$(VENV)/bin/hesabu serve --host 127.0.0.1 --port 5000 --database-url $(SERVER_DB) --instance $(INSTANCE)

lint: setup
	$(VENV)/bin/ruff check .

# Headless Chromium for the browser tests (tests/web): Debian's package, installed once
# (root on a fresh machine); quick when it is already there.
browser:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	  apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null; }
	@test -x /usr/bin/chromium || { echo 'tests/web need /usr/bin/chromium' >&2; exit 1; }

# Node and npm: the Enketo test (tests/openrosa/test_enketo.py) installs enketo-core and
# enketo-transformer from npm (pinned) once per machine. Quick when they are there.
node:
	@command -v npm >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	  apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null; }
	@command -v npm >/dev/null 2>&1 || { echo 'tests/openrosa need node and npm' >&2; exit 1; }

# The app's UI tests render with real OpenGL offscreen (Mesa, EGL): install the system
# libraries when missing (root on a fresh Debian machine); a quick no-op when present.
# libzbar0: pyzbar, the tablet's QR decoder, is tested on the desktop too (tests/field_app/test_qr.py).
KIVY_LIBS := libegl1 libegl-mesa0 libgl1-mesa-dri libglx-mesa0 libgbm1 libmtdev1 libzbar0
kivy-libs:
	@dpkg -s $(KIVY_LIBS) >/dev/null 2>&1 || apt-get install -y -qq --no-install-recommends $(KIVY_LIBS) || \
	  { apt-get update -qq && apt-get install -y -qq --no-install-recommends $(KIVY_LIBS); } || \
	  { echo "The Kivy UI tests need (as root): apt-get install $(KIVY_LIBS)"; exit 1; }

# Two workers (the project machines have 2 cores), a test module per worker at a time.
test: setup lint browser node kivy-libs
	$(PY) -m pytest -q -n 2 --dist loadscope

bench: setup
	$(PY) bench/forms.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
