# One command each for a fresh machine: `make report` (acceptance suite + report) and `make test` (everything).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: setup report test lint unit suite campaign sandbox bench clean

setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

report: setup  ## run the acceptance suite and write the Allure report and traceability matrix
	$(PY) -m support.reporting.run --processes 2

suite: report

lint: setup
	$(PY) -m ruff check .

unit: setup
	$(PY) -m pytest

campaign: setup  ## hostile input and faults: 1000+ cases, must find 0 state changes and 0 crashes
	$(PY) -m campaign

test: lint unit campaign report  ## everything CI runs

sandbox: setup  ## run the DCC sandbox standalone
	$(PY) -m fake_services serve

bench: setup
	$(PY) -m benchmarks.loopback

clean:
	rm -rf reports/allure-results reports/allure-report reports/junit reports/traceability.*
