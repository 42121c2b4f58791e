# The front door: make, make run, make check, make bench. Meson and Ninja do the building.
BUILD ?= build
ASAN ?= build-asan
FUZZ ?= build-fuzz
# The static binary the container image holds (Containerfile), built and checked by make check
STATIC ?= build-static
# How long `make fuzz` runs each target, in seconds
FUZZ_SECONDS ?= 60
# What building, testing and benchmarking need, as Debian packages: clang and libFuzzer for
# the fuzz targets, whose corpora `make check` replays; systemd for the unit's directory
# (systemd.pc) and systemd-analyze, which checks the installed unit; scdoc for the man pages,
# which `make check` renders with man-db and groff; zsh, whose completion it tries;
# python3-yaml for the check of the Kubernetes manifest (deploy/kubernetes); tmux to drive
# `oomreaper top` in a terminal, and node_exporter to scrape the metrics file (its service
# is not started: the test runs its binary on 127.0.0.1); a desktop of the tests' own (an X
# server, a session bus, a notification server and notify-send) for the notifications' test;
# stress-ng, a real workload the end-to-end tests fill memory with
DEBS := meson ninja-build pkg-config gcc libc6-dev libcmocka-dev python3 spin clang-14 \
	libclang-rt-14-dev systemd scdoc man-db groff-base zsh \
	python3-yaml tmux prometheus-node-exporter \
	xvfb dbus-daemon dunst libnotify-bin stress-ng
BENCH_DEBS := earlyoom
# The overload scenarios' peers and their pictures
SCENARIO_DEBS := earlyoom nohang gnuplot-nox
SCENARIO_BIN := $(BUILD)/bench/scenarios
# Real workloads (stress-ng) in memory cgroups, the kernel alone against oomreaper
WORKLOAD_DEBS := stress-ng
WORKLOAD_BIN := $(BUILD)/bench/workloads
WORKLOAD_RUNS ?= 3
# The unit under a real systemd as PID 1: debootstrap makes the Debian root it boots
SYSTEMD_DEBS := debootstrap systemd
# The Debian package (make deb): what dpkg-buildpackage and lintian need besides DEBS, the
# package's Build-Depends included (debian/control)
DEB_DEBS := debhelper dpkg-dev fakeroot lintian systemd
DEB_BUILD := build-deb
VERSION = $(shell sed -n "s/^  version : '\(.*\)',$$/\1/p" meson.build)

.PHONY: all deps run check check-systemd static fuzz fuzz-build bench bench-scenarios \
	bench-workloads deb clean

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
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq $$missing >/dev/null; \
			rc=$$?; [ -n "$$made" ] && rm -f $$norc; [ $$rc = 0 ] || exit 1; \
		else \
			echo "missing packages; run: sudo apt-get install$$missing"; exit 1; \
		fi; \
	fi

$(BUILD)/build.ninja:
	meson setup $(BUILD)

$(ASAN)/build.ninja:
	meson setup $(ASAN) -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug

$(STATIC)/build.ninja:
	meson setup $(STATIC) -Dstatic=true -Dbuildtype=release

# The binary alone, linked statically, as the Containerfile builds it
static: deps $(STATIC)/build.ninja
	ninja -C $(STATIC) oomreaper

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
	-@$(MAKE) --no-print-directory static
	OOMREAPER_STATIC=$(CURDIR)/$(STATIC)/oomreaper tests/run $(BUILD) $(ASAN) $(FUZZ)

# The installed unit under a real systemd as PID 1 (tests/systemd/run): a minimal Debian root,
# made once and cached in /var/cache/oomreaper-check-systemd, booted in a new PID and mount
# namespace with oomreaper installed in an overlay of it (the .deb of dist/ when there is one).
# Not part of check: it needs root, the network once, and a few minutes.
check-systemd: EXTRA_DEBS = $(SYSTEMD_DEBS)
check-systemd: deb
	tests/systemd/run $(BUILD)

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

# dist/oomreaper_VERSION_ARCH.deb, built by dpkg-buildpackage in a copy of the tree (the files
# git tracks or would, as they are now) so that the work tree stays clean, then held to lintian:
# an error or a warning fails the target. The changelog's version must be meson.build's.
deb: EXTRA_DEBS = $(DEB_DEBS)
deb: deps
	@v=$$(dpkg-parsechangelog -l debian/changelog -S Version); \
	if [ "$$v" != "$(VERSION)" ]; then \
		echo "debian/changelog is at $$v, meson.build at $(VERSION): add a changelog entry"; \
		exit 1; \
	fi
	rm -rf $(DEB_BUILD)
	mkdir -p $(DEB_BUILD)/oomreaper-$(VERSION) dist
	git ls-files -z --cached --others --exclude-standard | \
		xargs -0 sh -c 'for f; do [ -e "$$f" ] && printf "%s\0" "$$f"; done' sh | \
		tar -c --null -T - | tar -x -C $(DEB_BUILD)/oomreaper-$(VERSION)
	cd $(DEB_BUILD)/oomreaper-$(VERSION) && dpkg-buildpackage -us -uc -b
	deb=oomreaper_$(VERSION)_$$(dpkg --print-architecture).deb; \
	cp $(DEB_BUILD)/$$deb dist/ && \
	echo "lintian dist/$$deb:" && \
	lintian --fail-on error,warning --tag-display-limit 0 dist/$$deb && \
	echo "dist/$$deb: lintian reports no error and no warning"

clean:
	rm -rf $(BUILD) $(ASAN) $(FUZZ) $(STATIC) $(DEB_BUILD)
