# The two commands of the README: `make demo` (main job) and `make test` (tests). Both set up first.
VENV ?= .venv
PY := $(VENV)/bin/python
PROFILES ?= 5000

.PHONY: setup demo test bench-relevance bench-speed clean

setup: $(VENV)/.installed

# torch is pinned first: a CPU build of 2.13.0 is what these machines carry; anything else pulls CUDA.
$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[test]'
	touch $@

demo: setup
	$(VENV)/bin/talentsearch demo --profiles $(PROFILES)

test: setup
	$(PY) -m pytest

bench-relevance: setup
	$(PY) -m benchmarks.foundation relevance --profiles 100000

bench-speed: setup
	$(PY) -m benchmarks.foundation speed --profiles 100000

clean:
	rm -rf var .pytest_cache
