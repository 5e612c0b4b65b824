# The two commands of README.md:
#   make demo   install what is missing, build, and run the main job
#   make check  install what is missing, build, and run every test
# Other targets: deps, build, asan-check, bench, clean.

PRESET ?= release
BUILD_DIR := build/$(PRESET)
JOBS ?= $(shell nproc)

.PHONY: all deps build check demo asan-check bench clean

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

clean:
	rm -rf build
