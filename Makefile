# Marktplatz: one Makefile for a developer's machine and for CI. Each service has its own Makefile too.
PYTHON ?= python3
VENV := $(CURDIR)/.venv
PIP := $(VENV)/bin/pip install -q -c $(CURDIR)/constraints.txt
SERVICES := catalog search orders notifications
PACKAGES := shared $(wildcard connectors/*) $(addprefix services/,$(SERVICES)) $(wildcard services/gateway)
TEST_DIRS := shared $(wildcard connectors/*) $(addprefix services/,$(SERVICES)) $(wildcard services/gateway) tests deploy

.PHONY: install browser broker up down status demo lint test test-chaos fuzz bench bench-catalog bench-orders clean

install: $(VENV)/.installed  ## a .venv with the pinned dependencies and every package editable

$(VENV)/.installed: constraints.txt $(wildcard */pyproject.toml */*/pyproject.toml)
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(PIP) $(foreach p,$(PACKAGES),-e $(p)$(if $(shell grep -s '^test = ' $(p)/pyproject.toml),[test])) ruff pytest
	@touch $@
	@echo "installed into .venv"

browser:  ## Debian's Chromium for the web tests (tests/web); Playwright drives it, never downloads one
	@test -x /usr/bin/chromium || $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y -q chromium

broker:  ## make sure a local RabbitMQ runs (installs it from the OS packages when missing)
	@scripts/ensure-rabbitmq.sh

up: install  ## run every service in the background (SQLite files under var/, logs under var/log/)
	@scripts/platform.sh up

down:  ## stop every process `make up` started
	@scripts/platform.sh down

status:
	@scripts/platform.sh status

demo: up  ## the platform with the Lindenau demo region imported
	@if [ -x scripts/demo.sh ]; then scripts/demo.sh; else echo "demo data import arrives with the catalog service"; fi

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: install broker lint  ## ruff, then every suite against the real RabbitMQ (and PostgreSQL when reachable)
	@set -e; for d in $(TEST_DIRS); do \
	  if [ -f $$d/Makefile ]; then echo "== $$d"; $(MAKE) --no-print-directory -C $$d test VENV=$(VENV); \
	  elif [ -d $$d/tests ] || [ "$$d" = tests ]; then echo "== $$d"; (cd $$d && $(VENV)/bin/pytest -q $$( [ "$$d" = tests ] && echo . || echo tests)); fi; \
	done

FUZZ_EXAMPLES ?= 100
fuzz: install  ## schemathesis against the running platform (make demo first): no 5xx, answers as documented, no ERROR logged
	@FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) scripts/fuzz.sh

bench: install broker  ## benchmarks, each figure next to a baseline of the same run; report in bench/results/latest.md
	@$(VENV)/bin/python -W ignore -m bench

CHAOS_SECONDS ?= 300
test-chaos: install broker  ## a long town day under chaos (CHAOS_SECONDS, CHAOS_SEED); `make test` runs a 40 s one
	cd tests && CHAOS_SECONDS=$(CHAOS_SECONDS) $(VENV)/bin/pytest -q chaos

bench-gateway: install broker  ## gateway requests/s and p50/p99 through gunicorn, next to the search RPC direct
	@$(VENV)/bin/python -m bench gateway

bench-catalog: install broker  ## stock lines/s end to end (POS connector -> catalog -> stock_changed)
	@$(VENV)/bin/python -W ignore -m bench catalog

bench-orders: install broker  ## checkouts/s, p50/p99 and oversold units with 50 shoppers over 200 SKUs, next to raw RPC
	@$(VENV)/bin/python -W ignore -m bench orders

bench-search: install  ## search: build 100k and 1M synthetic products, print build rate, size, query latency
	@$(VENV)/bin/python -m bench.search_bench

clean: down
	rm -rf var
