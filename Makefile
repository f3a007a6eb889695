# coolsim: `make demo` sets up a virtual environment and runs the example cases (a 1 kW die in
# conduction, then the coupled 18-tray rack with 3D cold plates);
# `make test` sets it up and runs the test suite (the CI subset; `make test-all` adds slow runs).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_CASES ?= cases/gpu_die_conduction.toml cases/rack_coupled.toml

.PHONY: demo test test-all bench lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

demo: $(STAMP)
	for c in $(DEMO_CASES); do $(BIN)/coolsim run $$c || exit 1; done

test: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

test-all: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	for b in benchmarks/*.py; do $(BIN)/python $$b; done

lint: $(STAMP)
	$(BIN)/ruff check solver tests benchmarks

clean:
	rm -rf $(VENV) results
