# The two commands of README.md:
#   make demo   install what is missing, build, and run the main job
#   make check  install what is missing, build, and run every test and every
#               assurance check (scripts/check.sh: tests, repro, fuzz, asan, format)
# Other targets: deps, build, test (the release test suite alone), test-unit (the
# quick loop: tests that need no root and no daemon),
# bench, clean, format (apply .clang-format), deb (the Debian packages),
# deb-repro-check, deb-install-check, and each assurance check alone
# (docs/ASSURANCE.md): asan-check, repro-check, ct-check, fuzz-check, format-check.

PRESET ?= release
BUILD_DIR := build/$(PRESET)
JOBS ?= $(shell nproc)

.PHONY: all deps build test test-unit check demo asan-check bench clean repro-check ct-check fuzz-check \
        format format-check deb deb-repro-check deb-install-check

all: build

deps:
	@scripts/install-deps.sh

build: deps
	@cmake --preset $(PRESET) >/dev/null
	@cmake --build --preset $(PRESET) -j $(JOBS)

test: build
	@ctest --preset $(PRESET) -j $(JOBS)

# The quick loop: the tests labelled `unit` (no root, no daemon: core, sss, the smk
# command, vectors, constant time, fuzz replay). `root` labels the rest.
test-unit: build
	@ctest --preset $(PRESET) -j $(JOBS) -L unit

check: deps
	@JOBS=$(JOBS) scripts/check.sh

demo: build
	@scripts/demo.sh $(BUILD_DIR)/cli/smk

asan-check:
	@$(MAKE) test PRESET=asan

bench: build
	@bench/run.sh $(BUILD_DIR)/cli/smk

# Two release builds of smk from copies of this tree at different paths: same SHA-256.
repro-check: deps
	@JOBS=$(JOBS) scripts/repro-check.sh

# build/package/smk_<version>_<arch>.deb and smk-cardsim_<version>_<arch>.deb (preset
# `package`), checked, with each one's SHA-256 as hex, colon groups and PGP words.
deb: deps
	@JOBS=$(JOBS) scripts/make-deb.sh

# The packages built twice from copies of this tree at different paths: byte-identical.
deb-repro-check: deps
	@JOBS=$(JOBS) scripts/deb-repro-check.sh

# build/package/smk_*.deb (make deb first) installed with apt-get into a clean Debian 12
# root made by debootstrap, where smk --version, smk version and a split/combine run.
deb-install-check: deps
	@scripts/deb-install-check.sh $(firstword $(wildcard build/package/smk_*.deb) build/package/smk_VERSION_ARCH.deb)

# The constant-time (valgrind) checks alone; `make test` and `make check` run them too ("ct:").
ct-check: build
	@ctest --preset $(PRESET) -j $(JOBS) -L ct

# Every libFuzzer target for FUZZ_SECONDS (default 20; make check: 30) each, from the seed corpus.
fuzz-check: deps
	@FUZZ_JOBS=$(JOBS) scripts/fuzz.sh

# Every tracked C++ file follows .clang-format (make check runs this too); `format` applies it.
format-check: deps
	@scripts/format-check.sh

format: deps
	@scripts/format-check.sh --fix

clean:
	rm -rf build
