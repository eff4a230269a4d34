# The README's two commands: `make demo` and `make test`. Each sets up .venv on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DOCS_SITE ?= site

.PHONY: demo test test-slow bench lint setup clean web docs docs-serve

setup: $(STAMP)

# the engine's C sources too: pip install -e builds its compiled kernel
$(STAMP): pyproject.toml setup.py $(wildcard src/boostphase/engine/*.c src/boostphase/engine/*.h)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test]"
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m boostphase.cli.demo --out out
	@echo "Web app (3D globe, offline): bash tools/web_setup.sh && .venv/bin/boostphase serve --open --example reconstruct"

test: $(STAMP)
	bash tools/web_setup.sh
	$(PY) -m ruff check src tests benchmarks tools
	$(PY) -m pytest -q
	NO_MKDOCS_2_WARNING=1 BOOSTPHASE_DOCS_FAST=1 $(PY) -m mkdocs build --strict -d $(DOCS_SITE)

test-slow: $(STAMP)
	$(PY) -m pytest -q -m slow

bench: $(STAMP)
	$(PY) benchmarks/bench_flight.py

# The documentation site (MkDocs Material; every example executed). `make test` builds it in fast
# mode (small sizes); this is the full build. A failing example or a broken link fails both.
# No -q: mkdocs --quiet drops warnings before --strict counts them, so a failing example would pass.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict -d $(DOCS_SITE)

docs-serve: $(STAMP)
	$(PY) -m mkdocs serve

clean:
	rm -rf $(VENV) out .pytest_cache $(DOCS_SITE)

web: $(STAMP)
	bash tools/web_setup.sh
	$(PY) -m boostphase.cli serve --open --example reconstruct
