# The front door: make, make run, make check, make bench. Meson and Ninja do the building.
BUILD ?= build
ASAN ?= build-asan
FUZZ ?= build-fuzz
# How long `make fuzz` runs each target, in seconds
FUZZ_SECONDS ?= 60
# What building, testing and benchmarking need, as Debian packages: clang and libFuzzer for
# the fuzz targets, whose corpora `make check` replays
DEBS := meson ninja-build pkg-config gcc libc6-dev libcmocka-dev python3 spin clang-14 \
	libclang-rt-14-dev
BENCH_DEBS := earlyoom
# The overload scenarios' peers and their pictures
SCENARIO_DEBS := earlyoom nohang gnuplot-nox
SCENARIO_BIN := $(BUILD)/bench/scenarios
# Real workloads (stress-ng) in memory cgroups, the kernel alone against oomreaper
WORKLOAD_DEBS := stress-ng
WORKLOAD_BIN := $(BUILD)/bench/workloads
WORKLOAD_RUNS ?= 3

.PHONY: all deps run check fuzz fuzz-build bench bench-scenarios bench-workloads clean

all: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

# Installs what is missing when run as root, else says the command and stops. A package's
# service is not started (policy-rc.d): earlyoom, installed for the benchmarks, is a real
# OOM killer, and it must not start killing on the machine that builds us.
deps:
	@missing=""; for p in $(DEBS) $(EXTRA_DEBS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing:$$missing"; \
			norc=/usr/sbin/policy-rc.d; made=""; \
			[ -e $$norc ] || { printf '#!/bin/sh\nexit 101\n' > $$norc; chmod +x $$norc; made=1; }; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
			rc=$$?; [ -n "$$made" ] && rm -f $$norc; [ $$rc = 0 ] || exit 1; \
		else \
			echo "missing packages; run: sudo apt-get install$$missing"; exit 1; \
		fi; \
	fi

$(BUILD)/build.ninja:
	meson setup $(BUILD)

$(ASAN)/build.ninja:
	meson setup $(ASAN) -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug

# The daemon on the whole machine with the built-in defaults, signalling nothing
run: all
	./$(BUILD)/oomreaper run --dry-run

# The fuzz targets (tests/fuzz/): clang, ASan+UBSan, libFuzzer's coverage in every object
$(FUZZ)/build.ninja:
	CC=clang-14 meson setup $(FUZZ) -Dfuzz=true -Db_sanitize=address,undefined \
		-Db_lundef=false -Dbuildtype=debugoptimized

fuzz-build: deps $(FUZZ)/build.ninja
	ninja -C $(FUZZ)

# A fuzz build that fails does not stop the check: tests/run says FAIL for each target
# it lacks, with the reason
check: all $(ASAN)/build.ninja
	ninja -C $(ASAN)
	-@$(MAKE) --no-print-directory fuzz-build
	tests/run $(BUILD) $(ASAN) $(FUZZ)

# Each fuzz target for FUZZ_SECONDS, one at a time, at nice 19 (tests/fuzz/run)
fuzz: fuzz-build
	tests/fuzz/run $(FUZZ) $(FUZZ_SECONDS)

bench: EXTRA_DEBS = $(BENCH_DEBS)
bench: all
	bench/run $(BUILD)

# Overload scenarios side by side with the kernel, earlyoom and nohang (bench/scenarios/run).
# Its helpers are built here, outside meson: they are the harness's, not the project's.
bench-scenarios: EXTRA_DEBS = $(SCENARIO_DEBS)
bench-scenarios: all
	@mkdir -p $(SCENARIO_BIN)
	for h in watch reader sharegrow probe storm; do \
		$(CC) -O2 -std=gnu11 -Wall -Wextra -o $(SCENARIO_BIN)/$$h bench/scenarios/$$h.c || exit 1; \
	done
	bench/scenarios/run $(BUILD)

# stress-ng's vm, mmap, bigheap, brk and fork stressors, many small processes beside a grower,
# and issue 10's two scenarios, each in a memory cgroup of its own with a bystander
# (bench/workloads/run). Its helper is built here, outside meson, as bench-scenarios' are.
bench-workloads: EXTRA_DEBS = $(WORKLOAD_DEBS)
bench-workloads: all
	@mkdir -p $(WORKLOAD_BIN)
	$(CC) -O2 -std=gnu11 -Wall -Wextra -Werror -o $(WORKLOAD_BIN)/bystander \
		bench/workloads/bystander.c
	WORKLOAD_RUNS=$(WORKLOAD_RUNS) bench/workloads/run $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN) $(FUZZ)
