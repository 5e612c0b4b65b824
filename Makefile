# The two commands of README.md:
#   make demo   install what is missing, build, and run the main job
#   make check  install what is missing, build, and run every test
# Other targets: deps, build, asan-check, bench, clean, and the assurance checks
# (docs/ASSURANCE.md): repro-check, ct-check, fuzz-check, assurance-check.

PRESET ?= release
BUILD_DIR := build/$(PRESET)
JOBS ?= $(shell nproc)

.PHONY: all deps build check demo asan-check bench clean repro-check ct-check fuzz-check assurance-check

all: build

deps:
	@scripts/install-deps.sh

build: deps
	@cmake --preset $(PRESET) >/dev/null
	@cmake --build --preset $(PRESET) -j $(JOBS)

check: build
	@ctest --preset $(PRESET) -j $(JOBS)

demo: build
	@scripts/demo.sh $(BUILD_DIR)/cli/smk

asan-check:
	@$(MAKE) check PRESET=asan

bench: build
	@bench/run.sh $(BUILD_DIR)/cli/smk

# Two release builds of smk from copies of this tree at different paths: same SHA-256.
repro-check: deps
	@JOBS=$(JOBS) scripts/repro-check.sh

# The constant-time (valgrind) checks alone; `make check` runs them too ("ct: ").
ct-check: build
	@ctest --preset $(PRESET) -j $(JOBS) -L ct

# Every libFuzzer target for FUZZ_SECONDS (default 20) each, from the seed corpus.
fuzz-check: deps
	@FUZZ_JOBS=$(JOBS) scripts/fuzz.sh

# Everything issue 6 asks beyond `make check`.
assurance-check: check repro-check fuzz-check asan-check

clean:
	rm -rf build
