# Two entry points, each self-sufficient on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python hil/demo.py

# Bytecode once, while mypy keeps only one core busy: ours (compileall, as pip writes it for an
# installed package) and pytest's rewrite of the test modules (a collection that may write
# it). Under PYTHONDONTWRITEBYTECODE each of ~100 Python processes compiled bridge/ again
# (22 s of CPU), and each pytest -n 2 worker rewrote every test module (2.3 s each).
# The collection's output is dropped: the run after it reports the same errors.
# Also the venv with real HardPy (tests/compat): built once per machine, pointed at this
# checkout (pip install -e, ~4 s in a fresh clone).
# --dist worksteal: each worker starts on a contiguous half and steals at the end, so a
# module's tests mostly share one worker's module fixtures, Chromium and warm servers
# (≈ 5% less wall time than --dist load, four alternating pairs).
test: $(STAMP)
	command -v chromium >/dev/null || { test "$$(id -u)" = 0 && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } || echo "make test: the report tests need Chromium: apt-get install chromium"
	$(BIN)/ruff check bridge drivers tests hil bench
	{ $(BIN)/python -m compileall -q bridge drivers hil && PYTHONDONTWRITEBYTECODE= $(BIN)/pytest --collect-only -q -p no:xdist >/dev/null 2>&1; PYTHONPATH=tests $(BIN)/python tests/compat/compat_venv.py; } & $(BIN)/mypy; status=$$?; wait; exit $$status
	$(BIN)/pytest -n 2 --dist worksteal -q

bench: $(STAMP)
	for script in bench/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

lint: $(STAMP)
	$(BIN)/ruff check bridge drivers tests hil bench

clean:
	rm -rf $(VENV) .bridge hil/.bridge
