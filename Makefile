# make demo   set up, then grade the bundled example class (examples/submitted/)
# make test   set up, then lint, run every test (slow ones included) and `course validate`
# make lock   re-resolve the dependencies: rewrite constraints.txt (the lock file) and
#             requirements-student.txt (a student's pins, from requirements-student.in)
VENV ?= .venv
# The interpreter the virtualenv is made with: any Python >= 3.11.0 (README), e.g.
# `make setup PYTHON=/usr/bin/python3.11` for Debian's or Ubuntu's own.
PYTHON ?= python3
# The lowest Python the lock files must install on (requires-python in pyproject.toml):
# Ubuntu 22.04's python3.11 package, the one Gradescope's default image gets.
PYTHON_FLOOR := 3.11.0
# where `make lock` finds torch's CPU build (empty: only pip's configured indexes/find-links)
TORCH_CPU_INDEX ?= https://download.pytorch.org/whl/cpu
PY := $(VENV)/bin/python
BIN := $(abspath $(VENV)/bin)
export PATH := $(BIN):$(PATH)

.PHONY: setup sandbox demo test test-fast lint validate generate examples bench clean lock

setup: $(VENV)/.installed sandbox

# The instructor's and CI's setup: the kit with its tools, the cluster runner and the test
# tools, at the versions pinned in constraints.txt. (A student's setup: see README.)
EXTRAS ?= instructor,cluster,dev
$(VENV)/.installed: constraints.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e ".[$(EXTRAS)]"
	touch $@

# Re-resolve every dependency (newest versions pyproject.toml allows) for Python
# $(PYTHON_FLOOR), the lowest supported, so that every later 3.11+ can install the result
# too: pip's resolver with --python-version (wheels only, torch's CPU build), nothing
# installed. It writes constraints.txt (the lock file), then pins a student's packages
# (requirements-student.in) at those versions into requirements-student.txt; review the
# diff, then run `make test`.
LOCK_VENV := build/lock-venv
LOCK_PIP = $(LOCK_VENV)/bin/pip install -q --dry-run --ignore-installed --only-binary=:all: \
  --python-version $(PYTHON_FLOOR) $(if $(TORCH_CPU_INDEX),--extra-index-url $(TORCH_CPU_INDEX))
lock:
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install -q --upgrade pip
	$(LOCK_VENV)/bin/python -c "$$PROJECT_REQUIREMENTS" instructor,cluster,dev > $(LOCK_VENV)/all.in
	$(LOCK_PIP) --report $(LOCK_VENV)/all.json -r $(LOCK_VENV)/all.in
	{ sed -n '/^#/p' constraints.txt; $(LOCK_VENV)/bin/python -c "$$PINS" \
	  $(LOCK_VENV)/all.json; } > constraints.txt.new
	mv constraints.txt.new constraints.txt
	$(LOCK_PIP) --report $(LOCK_VENV)/student.json -c constraints.txt -r requirements-student.in
	{ sed -n '/^#/p' requirements-student.txt; $(LOCK_VENV)/bin/python -c "$$PINS" \
	  $(LOCK_VENV)/student.json; } > requirements-student.txt.new
	mv requirements-student.txt.new requirements-student.txt
	rm -rf $(LOCK_VENV)

# The dependencies pyproject.toml lists, with the extras named in argv[1]
define PROJECT_REQUIREMENTS
import sys, tomllib
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
extras = project["optional-dependencies"]
for requirement in project["dependencies"] + [r for e in sys.argv[1].split(",") for r in extras[e]]:
    print(requirement)
endef
export PROJECT_REQUIREMENTS

# Every package of a pip --report (argv[1]), pinned, without torch's +cpu label: the CPU
# build is chosen by where pip looks (PyTorch's CPU index), not by the pin
define PINS
import json, re, sys
found = json.load(open(sys.argv[1]))["install"]
pins = [(i["metadata"]["name"], i["metadata"]["version"]) for i in found]
for name, version in sorted(pins, key=lambda pin: pin[0].lower()):
    print(f"{name}=={re.sub(r'[+]cpu$$', '', version)}")
endef
export PINS

# bubblewrap is the sandbox; install it when we can (root on Debian/Ubuntu).
sandbox:
	@command -v bwrap >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq bubblewrap >/dev/null; \
	  else echo "bubblewrap (bwrap) is missing: install it, e.g. sudo apt-get install bubblewrap"; exit 1; fi; }

demo: setup
	rm -rf out/demo
	course autograde examples/submitted --out out/demo --workers 2

test: setup lint
	$(PY) -m pytest -m "" -q
	course validate

test-fast: setup
	$(PY) -m pytest -q

lint: setup
	$(VENV)/bin/ruff check .

validate: setup
	course validate

generate: setup
	course generate
	$(PY) examples/build_examples.py

bench: setup
	$(PY) benchmarks/grading_speed.py --repeat 3

clean:
	rm -rf out build *.egg-info
