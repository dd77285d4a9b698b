# dive: build the host, the tool components and the test guests; test; bench; demo.
#   make        everything (host + built-in tool pool)
#   make demo   the main job, offline: list the pool and run sandboxed calls
#   make test   every test (builds what it needs first)
#   make bench  criterion benchmarks

CARGO        ?= cargo
WASM_TARGET  := wasm32-wasip2
# Guest workspaces share one target dir so their common dependencies build once.
WASM_DIR     := $(CURDIR)/target/wasm
WASM_OUT     := $(WASM_DIR)/$(WASM_TARGET)/release
POOL_DIR     := $(CURDIR)/build/tools
DIVE         := $(CURDIR)/target/release/dive

# Every tool-modules workspace member with a dive-tool.toml is one package of the pool.
FAMILIES     := $(shell python3 scripts/families.py)

.PHONY: all setup host tools pool guests test bench demo clean

all: host pool

# Idempotent: adds the wasm32-wasip2 target only when it is missing; installs the
# Python packages the differential tests compare against (requirements.txt).
setup:
	@rustup target list --installed 2>/dev/null | grep -qx '$(WASM_TARGET)' || rustup target add $(WASM_TARGET)
	@python3 -c 'import Bio, sys; sys.exit(Bio.__version__ != "1.88")' 2>/dev/null || python3 -m pip install -q -r requirements.txt

host:
	$(CARGO) build --release -p dive-cli

tools: setup
	cd tool-modules && CARGO_TARGET_DIR=$(WASM_DIR) $(CARGO) build --release --target $(WASM_TARGET) --workspace

# Assemble build/tools/<family>/ = manifest + component (+ data/ when the family has it).
pool: tools
	@mkdir -p $(POOL_DIR)
	@for d in $(POOL_DIR)/*/; do \
	  f=$$(basename $$d); case " $(FAMILIES) " in *" $$f "*) ;; *) rm -rf $$d;; esac; \
	done
	@for f in $(FAMILIES); do \
	  rm -rf $(POOL_DIR)/$$f.tmp && mkdir -p $(POOL_DIR)/$$f.tmp && \
	  cp tool-modules/$$f/dive-tool.toml $(POOL_DIR)/$$f.tmp/ && \
	  cp $(WASM_OUT)/$$f.wasm $(POOL_DIR)/$$f.tmp/ && \
	  if [ -d tool-modules/$$f/data ]; then cp -r tool-modules/$$f/data $(POOL_DIR)/$$f.tmp/; fi && \
	  rm -rf $(POOL_DIR)/$$f && mv $(POOL_DIR)/$$f.tmp $(POOL_DIR)/$$f || exit 1; \
	done
	@echo "built-in pool: $(FAMILIES) -> $(POOL_DIR)"

guests: setup
	cd tests/guests && CARGO_TARGET_DIR=$(WASM_DIR) $(CARGO) build --release --target $(WASM_TARGET) --workspace

test: setup all guests
	$(CARGO) test --release --workspace

bench: all guests
	$(CARGO) bench -p dive-integration-tests

demo: all
	@scripts/demo.sh $(DIVE)

clean:
	$(CARGO) clean
	rm -rf build
