# Two commands set everything up on a fresh machine: `make demo` and `make test`.
# Each creates (or reuses) .venv and installs the project from pyproject.toml.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | sha256sum | cut -c1-12)
DEMO_DIR ?= demo-case

FUZZ_EXAMPLES ?= 3000

.PHONY: demo test bench lint install clean fuzz hostile constraints catalogue

# constraints.txt pins every package to the version the tests passed with (evidence must be
# reproducible: an install today and in a year give the same software).
$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev,bench,cluster]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/atlas demo $(DEMO_DIR)

# PYTHONDONTWRITEBYTECODE is emptied for the suite: hundreds of tests run Atlas in a subprocess, and
# with it set (some machines do) each one compiles Atlas's modules again (~4-6 s of a 25 s pair of
# test files, measured 07/12/2026). The compiled files go to __pycache__/, which git ignores.
# The suite runs on TEST_WORKERS processes (pytest-xdist, a dev dependency): 2, one per core of CI's machine.
# --dist loadfile keeps each test file on one worker, so a module's fixtures (a generated case, a LibreOffice
# conversion, the hostile sweep) are built once and its tests run in file order; session fixtures are built
# once per worker, in its own temporary folders. Files go out in collection order (tests/conftest.py puts the slowest
# first). `make test TEST_WORKERS=0` runs the suite in one process.
TEST_WORKERS ?= 2
test: $(STAMP)
	@./scripts/test-tools.sh || true
	PYTHONDONTWRITEBYTECODE= $(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

# The fuzz suite of `make test`, with many more inputs and fresh randomness each run.
fuzz: $(STAMP)
	ATLAS_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) ATLAS_FUZZ_RANDOM=1 $(PY) -m pytest tests/test_fuzz.py -p no:cacheprovider

# After changing a dependency in pyproject.toml: pin what is installed now, then run the tests.
constraints: $(VENV)/bin/python
	{ sed -n '1,3p' constraints.txt; echo "# Generated from a working .venv on Python $$($(PY) -c 'import platform; print(platform.python_version())')."; \
	  $(PY) -m pip freeze --exclude-editable; } > constraints.txt.new && mv constraints.txt.new constraints.txt

# Structural hostile inputs at the full sizes (a 50 MB string, 1,000,000 keys, a 100 MB line, a 1 GB zip bomb),
# each ingested in a child process under a timeout and a 3 GB address-space limit (tests/_hostile.py).
# Each job has its own timeout (tests/test_hostile_structure.py: full_timeout); the whole sweep is one module
# fixture, which pytest-timeout's 600 s a test counted against: at load 11-13 (seven people on 2 cores, session 18)
# the full sweep took 12.5 min and every test errored on the timeout. One hour bounds the whole run instead.
hostile: $(STAMP)
	ATLAS_HOSTILE_FULL=1 $(PY) -m pytest tests/test_hostile_structure.py -p no:cacheprovider --timeout=3600

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
