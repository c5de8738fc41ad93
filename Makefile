# Developer / CI entry points. The logic lives in scripts/.
#   make run     serve access_governance with demo data on http://localhost:8069
#   make test    run the addon's Odoo tests on a fresh database
#   make test-business  tests tagged access_governance_business on a database
#                with Sales, CRM, Accounting, Inventory, Purchase, Project, Time Off
#                and Attendances (apps template built once, then reused)
#   make lint    ruff + pylint-odoo mandatory checks
#   make pytest  pytest-odoo on an installed database, the fast loop
#                (ARGS="-k grant"); installed once, updated when the addon changes
#   make bench   run scripts/bench.py against the local cluster (ARGS="..." for it)
#   make stop    stop the throwaway PostgreSQL cluster
#   make clean   stop it and delete it (.local/)
# Useful env: TEST_TAGS, AG_MODULE, AG_ADDONS_PATH, AG_DB_HOST/AG_DB_PORT/AG_DB_USER/
# AG_DB_PASSWORD (external PostgreSQL), PGPORT_AG (local cluster port, 54329).

SHELL := /bin/bash
ARGS ?=

.PHONY: run test test-business pytest lint bench stop clean pg-start pg-status

run:
	scripts/odoo_run.sh $(ARGS)

test:
	scripts/odoo_test.sh

test-business:
	scripts/odoo_test_business.sh

lint:
	scripts/lint.sh

pytest:
	ARGS='$(ARGS)' scripts/pytest.sh

bench:
	scripts/bench.sh $(ARGS)

pg-start:
	scripts/pg.sh start

pg-status:
	scripts/pg.sh status

stop:
	scripts/pg.sh stop

clean: stop
	rm -rf "$$(scripts/pg.sh dir)" .local
