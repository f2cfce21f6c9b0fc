# Two commands on a fresh machine (only Python >= 3.11 needed): `make report` and `make test`.
# Both create the virtual environment .venv when it is missing (or when pyproject.toml changed).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.llq-installed
OUT    ?= reports
TEST_WORKERS ?= auto

.PHONY: report test test-all study benchmark app lint format data clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check uv || true
	@if [ -x $(VENV)/bin/uv ]; then \
	    $(VENV)/bin/uv pip install --quiet --python $(PY) -e ".[all]"; \
	else \
	    $(PY) -m pip install --quiet -e ".[all]"; \
	fi
	@# notebooks are committed without outputs (tests check it; the filter helps contributors)
	@$(VENV)/bin/nbstripout --install >/dev/null 2>&1 || true
	@touch $(STAMP)

## main job: the evaluation report from the bundled data into reports/
report: $(STAMP)
	$(VENV)/bin/llq report --out $(OUT)

## the whole default test suite (browser test included when chromium is there), on all cores
test: $(STAMP)
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile

## on demand: slow simulation studies and benchmarks
study: $(STAMP)
	$(PY) -m pytest -m study
	$(PY) studies/simulation_study.py

benchmark: $(STAMP)
	$(PY) benchmarks/run_benchmarks.py

app: $(STAMP)
	$(VENV)/bin/llq app

lint: $(STAMP)
	$(VENV)/bin/ruff check llq_analysis tests studies benchmarks

format: $(STAMP)
	$(VENV)/bin/ruff format llq_analysis tests studies benchmarks

## regenerate the bundled reference data (deterministic; a test checks it matches)
data: $(STAMP)
	$(PY) -m llq_analysis.data.reference_data

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache
