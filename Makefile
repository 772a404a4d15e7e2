# circuitlab: the two commands of the README's quick start.
#   make demo  - install what is missing, then run the main job on the default configuration
#   make test  - install what is missing, then run the whole test suite (ngspice tests included)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.circuitlab-installed
EXTRAS := torch,cluster,test

.PHONY: demo test install ngspice chromium bench clean

demo: install
	$(VENV)/bin/circuitlab pipeline --quick --out results/pipeline

test: install chromium
	CIRCUITLAB_REQUIRE_NGSPICE=1 $(PY) -m pytest

bench: install
	$(PY) -m pip install -q -e ".[$(EXTRAS),bench]" 2>&1 | grep -v '^WARNING: Location' || true
	@for b in benchmarks/bench_*.py; do $(PY) $$b || exit 1; done

install: ngspice $(STAMP)

# ngspice and its shared library (libngspice.so for the PySpice backend) from Debian's packages
ngspice:
	@if ! command -v ngspice >/dev/null 2>&1 || ! ldconfig -p | grep -q 'libngspice\.so '; then \
	  echo "installing ngspice and libngspice0-dev with apt-get"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq ngspice libngspice0-dev >/dev/null; \
	fi

# headless Chromium for the test that opens the pipeline's HTML report (test set-up only)
chromium:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  echo "installing chromium with apt-get (for the HTML report test)"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi

# torch 2.13.0 (CPU wheel) first, so that nothing pulls a CUDA build; then the package with its extras
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
	$(PY) -m pip install -q torch==2.13.0 2>&1 | grep -v '^WARNING: Location' || true
	$(PY) -c "import torch" 
	$(PY) -m pip install -q -e ".[$(EXTRAS)]" 2>&1 | grep -v '^WARNING: Location' || true
	$(PY) -c "import circuitlab, numpy, h5py, PySpice, verilogae, distributed"
	@touch $(STAMP)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
