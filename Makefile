# Two commands do everything on a fresh machine:
#   make run   set up and start the server on SQLite with demo data
#   make test  set up and run every test
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.hesabu-installed

.PHONY: setup run test lint bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[server,app,dev]'
	touch $(STAMP)

setup: $(STAMP)

run: setup
	@echo 'The server is not built yet (see the sync and server issues).'
	@echo 'Meanwhile: .venv/bin/hesabu forms check forms/definitions/sdi_household_enumeration.xlsx'

lint: setup
	$(VENV)/bin/ruff check .

test: setup lint
	$(PY) -m pytest -q

bench: setup
	$(PY) bench/forms.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
