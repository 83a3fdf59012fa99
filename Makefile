# PM Metrics Playbook. Two commands do all the set-up on a fresh machine:
#   make report   build .venv if needed, then write every team's reports on the bundled sample
#   make test     build .venv if needed, then run every test
# Other targets: make lab (JupyterLab on notebooks/), make bench (speed and memory), make clean.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
JOBS   ?= $(shell nproc 2>/dev/null || echo 2)
LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.json
LAB_SETTINGS  := {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": false}, \
                  "@jupyter-widgets/jupyterlab-manager:plugin": {"saveState": true}}

.PHONY: test report lab bench browser java clean

$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

# The browser tests drive Debian's Chromium (Playwright from PyPI, no browser download).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	    || { echo "Could not install chromium with apt-get: the browser tests will fail. Install Debian's chromium package." >&2; exit 1; }; \
	  else \
	    echo "Chromium is missing: run 'sudo apt-get install chromium' (the browser tests need it)." >&2; exit 1; \
	  fi; }

# The Spark backend tests need a Java runtime (Spark 4 needs 17 or newer); Debian's is installed if none.
java:
	@command -v java >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null) \
	    || { echo "Could not install Java with apt-get: the Spark tests will fail. Install Debian's openjdk-17-jre-headless." >&2; exit 1; }; \
	  else \
	    echo "Java is missing: run 'sudo apt-get install openjdk-17-jre-headless' (the Spark tests need it)." >&2; exit 1; \
	  fi; }

test: $(STAMP) $(LAB_OVERRIDES) browser java
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m pytest -n $(JOBS) --dist loadscope --nbval-lax -q tests src/pmplaybook notebooks

report: $(STAMP)
	$(VENV)/bin/pmplaybook run

# As root too (containers run as root); no news prompt and no update check; widget state saved with the
# notebook, so a reopened explorer shows its last charts instead of "model not found". JupyterLab's own
# settings overrides file in the environment says so, for every user of this .venv.
$(LAB_OVERRIDES): Makefile | $(STAMP)
	@mkdir -p $(dir $@)
	@echo '$(LAB_SETTINGS)' > $@

lab: $(STAMP) $(LAB_OVERRIDES)
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks --allow-root --LabApp.news_url=None \
	  --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate

bench: $(STAMP)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) reports build dist src/*.egg-info
