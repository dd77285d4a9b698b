# dive: build the host, the tool components and the test guests; test; bench; demo.
#   make        everything (host + built-in tool pool)
#   make demo   the main job, offline: list the pool and run sandboxed calls
#   make test   the lints, then every test (builds what it needs first)
#   make lint   clippy over the host workspace, every warning an error
#   make bench  criterion benchmarks
#   make bench-compare  dive against its Python baselines, interleaved (README figures)
#   make install [PREFIX=/usr/local]  dive, its tool pool, man page, completions, docs
#   make dist   dist/dive-VERSION-ARCH-linux.tar.gz, runs on a machine without the source

CARGO        ?= cargo
WASM_TARGET  := wasm32-wasip2
# Guest workspaces share one target dir so their common dependencies build once.
WASM_DIR     := $(CURDIR)/target/wasm
WASM_OUT     := $(WASM_DIR)/$(WASM_TARGET)/release
POOL_DIR     := $(CURDIR)/build/tools
DIVE         := $(CURDIR)/target/release/dive

# The project's Python (the packages the tests compare against and drive dive with:
# Biopython, componentize-py, openai, datasets, mcp, moto) lives in .venv, made by make.
VENV         := $(CURDIR)/.venv
PYTHON       := $(VENV)/bin/python3

# Every tool-modules workspace member with a dive-tool.toml is one package of the pool.
FAMILIES     := $(shell python3 scripts/families.py)
# Python tool packages (not Cargo crates): tool-modules/<name>/*.py with app.py exporting
# the dive:tool world, built into <name>.wasm by componentize-py.
PY_TOOLS     := code_execution
COMPONENTIZE_PY_VERSION := 0.25.1
# Run through the interpreter pip installed it into, so a fresh install works without
# its console script being on PATH (pyenv shims, ~/.local/bin).
COMPONENTIZE_PY := $(PYTHON) -c 'import sys; from componentize_py import script; sys.argv[0] = "componentize-py"; sys.exit(script())'

NODE_MODULES := $(CURDIR)/node_modules

PREFIX       ?= /usr/local


.PHONY: all setup host tools python-tools pool guests lint test bench bench-compare demo install dist clean parity gen gen-check

all: host pool

# Idempotent: adds the wasm32-wasip2 target only when it is missing; makes the project
# virtualenv and installs requirements.txt into it when that file changed.
setup: $(VENV)/.installed $(NODE_MODULES)/.installed
	@rustup target list --installed 2>/dev/null | grep -qx '$(WASM_TARGET)' || rustup target add $(WASM_TARGET)
	@rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy

$(VENV)/.installed: requirements.txt
	@test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install -q -r requirements.txt
	@touch $@

# The JavaScript tool toolchain (componentize-js, jco) in the project's node_modules/,
# from package-lock.json: `dive tool build` of a JavaScript package in the tests uses it.
$(NODE_MODULES)/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

host:
	$(CARGO) build --release -p dive-cli

tools: setup
	cd tool-modules && CARGO_TARGET_DIR=$(WASM_DIR) $(CARGO) build --release --target $(WASM_TARGET) --workspace

# Rebuilt only when the tool's Python sources or the WIT change. The sources are staged
# outside the source tree (componentize-py writes __pycache__ next to them).
python-tools: $(PY_TOOLS:%=$(WASM_OUT)/%.wasm)

$(PY_TOOLS:%=$(WASM_OUT)/%.wasm): $(WASM_OUT)/%.wasm: tool-modules/%/app.py $(wildcard $(PY_TOOLS:%=tool-modules/%/*.py)) $(shell find wit -name '*.wit') | setup
	@rm -rf $(WASM_DIR)/python/$* && mkdir -p $(WASM_DIR)/python/$* $(WASM_OUT)
	cp tool-modules/$*/*.py $(WASM_DIR)/python/$*/
	$(COMPONENTIZE_PY) -d wit -w dive:tool/tool-provider componentize -p $(WASM_DIR)/python/$* app -o $@.tmp
	@mv $@.tmp $@

# Assemble build/tools/<family>/ = manifest + component (+ data/ when the family has it).
pool: tools python-tools
	@mkdir -p $(POOL_DIR)
	@for d in $(POOL_DIR)/*/; do \
	  f=$$(basename $$d); case " $(FAMILIES) $(PY_TOOLS) " in *" $$f "*) ;; *) rm -rf $$d;; esac; \
	done
	@for f in $(FAMILIES) $(PY_TOOLS); do \
	  rm -rf $(POOL_DIR)/$$f.tmp && mkdir -p $(POOL_DIR)/$$f.tmp && \
	  cp tool-modules/$$f/dive-tool.toml $(POOL_DIR)/$$f.tmp/ && \
	  cp $(WASM_OUT)/$$f.wasm $(POOL_DIR)/$$f.tmp/ && \
	  if [ -d tool-modules/$$f/data ]; then cp -r tool-modules/$$f/data $(POOL_DIR)/$$f.tmp/; fi && \
	  rm -rf $(POOL_DIR)/$$f && mv $(POOL_DIR)/$$f.tmp $(POOL_DIR)/$$f || exit 1; \
	done
	@echo "built-in pool: $(FAMILIES) $(PY_TOOLS) -> $(POOL_DIR)"

guests: setup
	cd tests/guests && CARGO_TARGET_DIR=$(WASM_DIR) $(CARGO) build --release --target $(WASM_TARGET) --workspace

# The tests run python3 from the project virtualenv (PATH) for the Python clients.
# Clippy's default lints over every host crate and test, as errors (a release check
# build: ~2.7 min cold on 2 cores, seconds when warm).
lint: setup
	$(CARGO) clippy --release --workspace --all-targets -- -D warnings

test: setup all guests lint
	PATH=$(VENV)/bin:$$PATH $(CARGO) test --release --workspace

bench: setup all guests
	PATH=$(VENV)/bin:$$PATH $(CARGO) bench -p dive-integration-tests

# The same work through dive and its Python baselines (Biopython in-process, a python3
# process per call), interleaved in one run: the README's performance figures.
bench-compare: setup all guests
	PATH=$(VENV)/bin:$$PATH $(PYTHON) scripts/bench_compare.py

demo: all
	@scripts/demo.sh $(DIVE)

# The binary finds its pool at PREFIX/share/dive/tools (relative to itself).
install: all
	scripts/install.sh $(DIVE) $(POOL_DIR) $(DESTDIR)$(PREFIX)

dist: all
	scripts/dist.sh $(DIVE) $(POOL_DIR) $(CURDIR)/dist

# Every generated file, regenerated in place (scripts/gen.sh: Biopython's tables, the
# catalog-derived tool tables and seed pools when ../shared/reference is present, the
# parity table). `make gen-check` regenerates into a temp dir and fails on any difference.
gen: all setup
	PYTHON=$(PYTHON) DIVE=$(DIVE) POOL_DIR=$(POOL_DIR) scripts/gen.sh $(CURDIR)

gen-check: all setup
	@tmp=$$(mktemp -d) && PYTHON=$(PYTHON) DIVE=$(DIVE) POOL_DIR=$(POOL_DIR) scripts/gen.sh $$tmp && \
	  status=0 && for f in $$(cd $$tmp && find . -type f | sed 's|^\./||'); do \
	    cmp -s $$tmp/$$f $$f || { echo "stale: $$f (run make gen)"; status=1; }; done; rm -rf $$tmp; exit $$status

# The parity table (tests/parity/parity.tsv): DIVE's returned fields -> dive's output
# paths, from the reviewed rules (scripts/parity/rules.tsv) and the pool's output schemas.
# With DIVE_REPO=<checkout or bare git dir of github.com/sheep333c/DIVE>, DIVE's fields
# are extracted again first (tests/parity/dive_fields.json).
parity: all
	@if [ -n "$(DIVE_REPO)" ]; then $(PYTHON) scripts/parity/dive_fields.py $(DIVE_REPO) > tests/parity/dive_fields.json; fi
	$(DIVE) --json --no-builtin --tools $(POOL_DIR) tools list > $(WASM_DIR)/tool-specs.json
	$(PYTHON) scripts/parity/gen_table.py tests/parity/dive_fields.json $(WASM_DIR)/tool-specs.json scripts/parity/rules.tsv > tests/parity/parity.tsv

clean:
	$(CARGO) clean
	rm -rf build
