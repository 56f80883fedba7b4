# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO ?= engagements/demo
CLIENTS ?= 3000
REPORT_LANG ?= en

.PHONY: env demo test bench lab clean

# The environment: a venv with the package installed editable (notebooks import it).
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

env: $(VENV)/.installed

## make demo: build the demo company and run its engagement end to end (REPORT_LANG=ru for Russian)
demo: env
	$(BIN)/workbench demo $(DEMO) --clients $(CLIENTS) --language $(REPORT_LANG)

## make test: the test suite (CI runs exactly this)
test: env
	$(BIN)/python -m pytest -q

## make bench: aggregation speed, DuckDB against a pandas baseline in the same process
bench: env
	$(BIN)/python benchmarks/bench_criteria.py

## make lab: JupyterLab on the notebooks
lab: env
	$(BIN)/jupyter lab notebooks/

clean:
	rm -rf $(VENV) engagements/demo
