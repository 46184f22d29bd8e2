# outcomes: two commands to start — `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SAMPLE := data/sample
OUT ?= build/demo

.PHONY: demo test test-fast test-browser test-spreadsheet bench bench-large calibration lint sample results clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed: set PYTHON=/path/to/python3.11"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip uv || true
	@if [ -x $(VENV)/bin/uv ]; then \
		$(VENV)/bin/uv pip install --quiet --python $(PY) -e ".[notebooks,dev,pdf,docx,dask]"; \
	else \
		$(PY) -m pip install --quiet -e ".[notebooks,dev,pdf,docx,dask]"; \
	fi
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	@touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/outcomes report $(SAMPLE) --out $(OUT)
	@echo "Open $(OUT)/report.html"

test: $(STAMP)
	$(PY) -m pytest -n 2 -m "not browser and not spreadsheet" --durations=15 tests

test-fast: $(STAMP)
	$(PY) -m pytest -n 2 -m "not browser and not spreadsheet and not slow" tests

test-browser: $(STAMP)
	bash tests/browser/setup.sh
	$(PY) -m pytest -m browser tests -p no:xdist

test-spreadsheet: $(STAMP)
	bash tests/spreadsheet/setup.sh
	$(PY) -m pytest -m spreadsheet tests -p no:xdist

bench: $(STAMP)
	$(PY) benchmarks/run.py

# 20 million sessions as Parquet (simulated once into build/bench, several GB), validate and
# claims with the partitioned engine: peak < 6 GB, time per session within 1.5x the 1M run.
bench-large: $(STAMP)
	$(PY) benchmarks/bench_large.py

# The calibration study (docs/calibration.md): first the reference truths it needs, then the
# study with many replicates (several minutes on a few cores).
calibration: $(STAMP)
	$(PY) tests/reference/make_calibration_truth.py
	$(PY) benchmarks/calibration.py

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks

sample: $(STAMP)
	$(VENV)/bin/outcomes simulate --out $(SAMPLE) --seed 20241118 --patients 300 --fault-rate 0.01 --force

results: $(STAMP)
	$(PY) -W ignore -c "import outcomes; print(outcomes.analyse(outcomes.load_bundle('$(SAMPLE)')).to_markdown())" > docs/results.md

clean:
	rm -rf $(VENV) build .pytest_cache
