# Two commands set everything up on a fresh machine: `make demo` and `make test`.
# Each creates (or reuses) .venv and installs the project from pyproject.toml.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)
DEMO_DIR ?= demo-case

.PHONY: demo test bench lint install clean catalogue

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,bench,cluster]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/atlas demo $(DEMO_DIR)

test: $(STAMP)
	@./scripts/test-tools.sh || true
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) -m bench.run --out bench-results.json

# parsers/catalogue.json: what `atlas formats` lists without importing any parser (tests/test_startup.py checks it)
catalogue: $(STAMP)
	$(PY) -m parsers._catalogue --write

lint: $(STAMP)
	$(VENV)/bin/ruff check atlas parsers reports fixtures tests bench
	$(VENV)/bin/mypy atlas parsers reports fixtures bench

clean:
	rm -rf $(VENV) $(DEMO_DIR) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
