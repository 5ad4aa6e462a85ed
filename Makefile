# Every target that needs Python first makes sure .venv is installed from the repo's own files.
PY      := .venv/bin/python
STAMP   := .venv/.installed-stamp
WEB     := src/graft/web/index.html
WS      ?= graft-workspace
PORT    ?= 8000
PYTEST_ARGS ?=

.PHONY: install web run demo test test-web test-fast test-stress bench bench-peers bench-gpu clean openapi

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip -c constraints.txt
	$(PY) -m pip install -q -c constraints.txt -e '.[dev]'
	touch $(STAMP)

web: $(WEB)

$(WEB): $(shell find frontend/src -type f 2>/dev/null) frontend/package.json frontend/package-lock.json frontend/index.html
	cd frontend && npm ci --no-audit --no-fund --loglevel=error && npm run build

openapi: install
	$(PY) -m graft.server.openapi > frontend/openapi.json
	cd frontend && npm run gen:api

# The workbench on a fresh workspace with the MNIST example workflow loaded.
run: install web
	rm -rf $(WS)
	.venv/bin/graft ui --workspace $(WS) --port $(PORT) --load-example

# The headless seed workflow: base CNN, slice, graft, one head-only epoch, evaluate, view.
demo: install
	rm -rf $(WS)-demo
	.venv/bin/graft run examples/mnist_transfer.yaml --workspace $(WS)-demo

test: install web test-web
	$(PY) -m pytest -q $(PYTEST_ARGS)

# Vitest: the front end's pure parts (graph conversion, slicing, layout, undo history, data references)
test-web: web
	cd frontend && npx vitest run

test-fast: install
	$(PY) -m pytest -q -m "not slow and not browser and not stress" $(PYTEST_ARGS)

# The timing-sensitive tests, 20 times each: the `stress` ones (cancels of every kind at seeded moments under
# load from a second process) and the existing tests that once failed only under load.
STRESS_REPEATED := tests/ops/test_distributed.py::test_one_ddp_step_on_two_processes_equals_one_step_on_one \
	tests/server/test_reports.py::test_pretrain_then_report_through_the_worker \
	tests/server/test_restarts.py tests/e2e/test_resume_run.py
test-stress: install
	$(PY) -m pytest -q -m stress $(PYTEST_ARGS)
	for i in $$(seq 20); do $(PY) -m pytest -q $(STRESS_REPEATED) $(PYTEST_ARGS) || exit 1; done

bench: install
	$(PY) -m bench.run

# graft's default against the plain loop and Lightning, each at its best, on this CPU (the throughput rows only)
bench-peers: install
	BENCH_SECTIONS=throughput $(PY) -m bench.run

# issue 6's GPU targets (seed workflow after start-up, time to 99 %); on a machine without CUDA it runs on the CPU
bench-gpu: install
	$(PY) -m bench.gpu

clean:
	rm -rf $(WS) $(WS)-demo src/graft/web frontend/node_modules test-artifacts bench-results.json bench-gpu-results.json
