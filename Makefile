# One command each for a fresh machine: `make report` (acceptance suite + report) and `make test` (everything).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PYTEST_WORKERS ?= 2

.PHONY: setup report evidence environments strength test lint types unit suite campaign sandbox bench clean

setup: $(VENV)/.installed node_modules/.installed
	@$(PY) -m reporting.bytecode

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

report: setup  ## run the acceptance suite and write the Allure report and traceability matrix
	$(PY) -m reporting.run --processes 2

suite: report

evidence: setup  ## the suite, then its evidence pack verified and screenshots of the report (Chromium)
	$(PY) -m reporting.run --processes 2; status=$$?; \
	$(PY) -m reporting.verify reports/mp107-evidence.tar.gz || exit 1; \
	$(PY) -m reporting.browser reports || echo "screenshots skipped (no Chromium?)"; \
	exit $$status

lint: setup  ## ruff, and the layers as import-linter contracts (pyproject.toml)
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports --no-cache

types: setup  ## mypy over product code (pyproject.toml [tool.mypy])
	$(PY) -m mypy

unit: setup  ## pytest in PYTEST_WORKERS processes (pytest-xdist), each test file whole in one of them
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile

campaign: setup  ## hostile input and faults: 1000+ cases, must find 0 state changes and 0 crashes
	$(PY) -m campaign

environments: setup  ## the suite against the sandbox started from each environment file (Control API off), then the impact matrix
	$(PY) -m reporting.sandbox_runs --processes 2

strength: setup  ## the suite against each wrong DCC of catalogue/deviations (and both environment files): the kill matrix
	$(PY) -m reporting.strength

test: lint types unit campaign strength report environments  ## everything CI runs (strength before report: the report shows its kill matrix)

sandbox: setup  ## run the DCC sandbox standalone
	$(PY) -m fake_services serve

bench: setup
	$(PY) -m benchmarks.loopback

clean:
	rm -rf reports/allure-results reports/allure-report reports/junit reports/traceability.* reports/messages \
		reports/screenshots reports/sign-off.html reports/run-identity.json reports/mp107-evidence.tar.gz* \
		reports/sandbox-as-is reports/sandbox-to-be reports/impact.* reports/strength.*
