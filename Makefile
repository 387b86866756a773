# The two commands of README.md, plus helpers. Each target installs what is missing first.
PRESET ?= release
BUILD_DIR := build/$(PRESET)
JOBS ?= $(shell nproc)
# ccache hits across checkouts in different folders (CI builds a fresh clone).
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1

.PHONY: all deps configure build run test asan tsan fuzz bench install clean

all: build

deps:
	@bash scripts/install-deps.sh

configure: deps
	@cmake --preset $(PRESET) >/dev/null

build: configure
	@cmake --build --preset $(PRESET) -j $(JOBS)

# gquic's main job on a built-in default: a node with its UDP mux on 127.0.0.1 and /metrics.
run: build
	@$(BUILD_DIR)/src/cli/gquic node

test: build
	@ctest --preset $(PRESET) -j $(JOBS) --timeout 300 $(CTEST_ARGS)

asan:
	@$(MAKE) --no-print-directory test PRESET=asan

tsan:
	@$(MAKE) --no-print-directory test PRESET=tsan

fuzz:
	@$(MAKE) --no-print-directory configure PRESET=fuzz
	@cmake --build --preset fuzz -j $(JOBS) --target gquic_fuzz_all
	@bash scripts/run-fuzzers.sh build/fuzz $(or $(FUZZ_SECONDS),20)

bench: build
	@bash scripts/run-benchmarks.sh $(BUILD_DIR)

install: build
	@cmake --install $(BUILD_DIR) --prefix $(or $(PREFIX),/usr/local)

clean:
	@rm -rf build
