# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO ?= engagements/demo
CLIENTS ?= 3000
REPORT_LANG ?= en
# The installer: uv (about ten times faster than pip on a fresh clone); INSTALLER=pip where uv cannot reach PyPI.
INSTALLER ?= uv
UV_VERSION ?= 0.13.9

.PHONY: env demo test lint format bench lab lock catalogues clean

# The environment: a venv with exactly the versions of requirements.lock, and the package
# installed editable (notebooks import it).
$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
ifeq ($(INSTALLER),uv)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
else
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
endif
	touch $@

env: $(VENV)/.installed

## make demo: build the demo company and run its engagement end to end (REPORT_LANG=ru for Russian)
demo: env
	$(BIN)/workbench demo $(DEMO) --clients $(CLIENTS) --language $(REPORT_LANG)

## make test: lint, format check and type check, then the test suite (CI runs exactly this)
test: lint
	$(BIN)/python -m pytest -q

## make lint: ruff (lint and format check) and mypy, as configured in pyproject.toml
lint: env
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## make format: apply ruff's fixes and formatting
format: env
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## make bench: intake, aggregation and forecast backtest speed against a pandas baseline in the same process
bench: env
	$(BIN)/python benchmarks/bench_criteria.py
	$(BIN)/python benchmarks/bench_forecast.py

## make lab: JupyterLab on the notebooks
lab: env
	$(BIN)/jupyter lab notebooks/

## make catalogues: merge new or changed entries of the report's template (report.pot) into each translation
## (pybabel update); a new entry arrives untranslated or fuzzy, and the report refuses to load until it is translated
catalogues: env
	$(BIN)/pybabel update -i workbench/report/locales/report.pot -d workbench/report/locales -D report --no-wrap

## make lock: re-resolve requirements.lock to the newest versions pyproject.toml allows
lock: env
	$(BIN)/uv pip compile pyproject.toml --extra test --extra dev --python-version 3.11 --upgrade -o requirements.lock
	@echo "requirements.lock refreshed: run make test, then commit it"

clean:
	rm -rf $(VENV) engagements/demo
