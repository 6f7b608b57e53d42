# nlfam — custom netlink families 23–31 in a Rust kernel module, with a Rust client.
#
#   make run     set up, build, boot Debian 13's stock 7.3 kernel, load the module, talk to it
#   make test    set up, build, host tests + the QEMU suite (TAP), "N passed, N failed"
#   make         build the module and the userspace tools (needs a prior setup)
#   make help    everything else

SHELL      := /bin/bash
# The suite runs on the debug kernel (KASAN, lockdep, kmemleak, ...): that is where bugs
# show. `make run`, `make fuzz` and benchmarks use the plain one (FLAVOR).
FLAVOR     ?= plain
TEST_FLAVOR ?= debug
# The kernels `make test` and `make vm-test` run the VM suite on, in this order: the
# project's 6.12 build of TEST_FLAVOR, then Debian 13's stock 7.3 kernel as shipped
# (TEST_KERNELS=debug runs the first only).
TEST_KERNELS ?= $(TEST_FLAVOR) stock-7.3
# The kernel `make kernel/module/run` use: the project's own 6.12 build of FLAVOR, or
# stock-7.3, Debian 13's own Rust-enabled 7.3.4+deb13-amd64 image as shipped (no kernel
# build: scripts/stock-kernel prepares a Debian 13 build root the module is built in).
KERNEL     ?= $(FLAVOR)
# Messages the suite's fuzz test sends (plus a tenth as many from an unprivileged user):
# the debug kernel under TCG takes ~3 000 per second in datagrams of up to 64 messages.
# 400 000 keeps `make test` (debug kernel build included) well inside CI's 90 minutes;
# `make fuzz` (plain kernel) runs as many as asked.
TEST_FUZZ_MESSAGES ?= 400000
# Load/unload cycles of tests/unload_race.sh in the suite (~0.5 s each on the debug
# kernel under TCG); `make stress` runs 1000.
TEST_STRESS_CYCLES ?= 100
CARGO      ?= cargo
KBUILD_DIR  = $(shell scripts/build-kernel $(KERNEL))
USERSPACE  := userspace
BIN        := $(USERSPACE)/target/release

.PHONY: all help setup kernel module userspace run install test test-kernels host-test vm-test fuzz stress clean

all: module userspace

help:
	@sed -n '3,7p' Makefile | sed 's/^# //'
	@echo "  make setup      install packages, rust-src, bindgen, virtme-ng (idempotent)"
	@echo "  make kernel     build the test kernel (cached in ~/.cache/nlfam; FLAVOR=plain|debug)"
	@echo "  KERNEL=stock-7.3 (kernel, module, run): Debian 13's own 7.3 image, no kernel build"
	@echo "  (make test and vm-test use the debug kernel: TEST_FLAVOR=debug)"
	@echo "  make module     build rust/nlfam.ko against it"
	@echo "  make install    build for the running kernel (DKMS's way) and install it (KVER=)"
	@echo "  make run RUN_KERNEL=plain|debug: the demo on the project's 6.12 (default stock-7.3)"
	@echo "  make userspace  build the client, CLI and test tools (cargo, release)"
	@echo "  make host-test  host tests only; make vm-test: the QEMU suite only"
	@echo "  make fuzz       in-VM fuzzer on the plain kernel (FUZZ_MESSAGES=, FUZZ_SEED=)"
	@echo "  make stress     unload race, store stress, multicast flood on the debug kernel (STRESS_CYCLES=)"
	@echo "  make bench      Rust module vs C module vs floor, one VM run (BENCH_SAMPLES=, BENCH_QUICK=1)"

setup:
	@scripts/setup

kernel:
ifeq ($(KERNEL),stock-7.3)
	@scripts/stock-kernel >/dev/null
else
	@scripts/build-kernel $(KERNEL) >/dev/null
endif

# The module is built against the kernel tree of the selected flavor; kbuild notices a
# different tree through its recorded command lines and rebuilds. rust/nlfam.ko is relinked
# every time: for stock-7.3 it is a copy of DKMS's, which kbuild would take as up to date.
# CLIPPY=1: the kernel's clippy runs on every build; any warning fails it.
module:
ifeq ($(KERNEL),stock-7.3)
	@scripts/stock-kernel >/dev/null && \
	  out=$$(scripts/stock-kernel exec scripts/dkms-module "$$(scripts/stock-kernel release)" rust/nlfam.ko 2>&1 >/dev/null); rc=$$?; \
	  [ -z "$$out" ] || echo "$$out"; \
	  [ $$rc -eq 0 ] || exit $$rc; \
	  if grep -q '^warning' <<<"$$out"; then echo "error: the module build warned (see above)" >&2; exit 1; fi; \
	  echo "    built rust/nlfam.ko for stock-7.3 by dkms add + dkms build in its Debian 13 build root (scripts/dkms-module)" && \
	  scripts/stock-kernel make -s M=$(CURDIR)/bench/c-reference modules >/dev/null && \
	  echo "    built bench/c-reference/nlfam_c.ko for stock-7.3" && \
	  scripts/stock-kernel make -s M=$(CURDIR)/tests/report-selftest modules >/dev/null && \
	  echo "    built tests/report-selftest/nlfam_report_selftest.ko for stock-7.3"
else
	@kdir=$$(scripts/build-kernel $(KERNEL)) && \
	  rm -f rust/nlfam.ko && \
	  out=$$($(MAKE) -s -C "$$kdir" M=$(CURDIR) ARCH=x86_64 LLVM=1 CLIPPY=1 modules 2>&1); rc=$$?; \
	  [ -z "$$out" ] || echo "$$out"; \
	  [ $$rc -eq 0 ] || exit $$rc; \
	  if grep -q '^warning' <<<"$$out"; then echo "error: the module build warned (see above)" >&2; exit 1; fi; \
	  echo "    built rust/nlfam.ko against $$(basename $$kdir)" && \
	  $(MAKE) -s -C bench/c-reference KDIR="$$kdir" modules >/dev/null && \
	  echo "    built bench/c-reference/nlfam_c.ko (C reference: benchmarks, tests/ebusy.sh)" && \
	  $(MAKE) -s -C "$$kdir" M=$(CURDIR)/tests/report-selftest ARCH=x86_64 LLVM=1 modules >/dev/null && \
	  echo "    built tests/report-selftest/nlfam_report_selftest.ko (test-only: one deliberate report per kind)"
endif

userspace:
	@cd $(USERSPACE) && $(CARGO) build --release --quiet --workspace --bins

# `make run` boots RUN_KERNEL: by default Debian 13's stock 7.3 kernel, which needs no
# kernel build (a Debian 13 build root instead: about half the time on a fresh machine) and
# is the kernel users can install nlfam on. RUN_KERNEL=plain boots the project's 6.12.
RUN_KERNEL ?= stock-7.3
run: setup
	@$(MAKE) -s KERNEL=$(RUN_KERNEL) kernel module userspace
	@scripts/vm --kernel "$(if $(filter stock-7.3,$(RUN_KERNEL)),stock-7.3,$$(scripts/build-kernel $(RUN_KERNEL)))" --timeout 300 -- $(CURDIR)/scripts/demo

# On a machine running a Rust-enabled distribution kernel (Debian 13's 7.3, see README):
# build for it as DKMS would, then install into /lib/modules/KVER/updates and depmod.
install:
	@kver=$${KVER:-$$(uname -r)} && scripts/dkms-build "$$kver" && scripts/install-module "$$kver"

host-test: userspace
	@scripts/test --host-only

# Each kernel of TEST_KERNELS is prepared first (built, or for stock-7.3 its build root
# made), then scripts/test builds the module for each in turn and runs the suite on it.
test-kernels: setup
	@for k in $(TEST_KERNELS); do $(MAKE) -s FLAVOR=$(TEST_FLAVOR) KERNEL=$$k kernel || exit; done
	@$(MAKE) -s userspace

test-kernel-args = $(foreach k,$(TEST_KERNELS),--kernel "$(if $(filter stock-7.3,$(k)),stock-7.3,$$(scripts/build-kernel $(k)))")

vm-test: test-kernels
	@FUZZ_MESSAGES=$${FUZZ_MESSAGES:-$(TEST_FUZZ_MESSAGES)} STRESS_CYCLES=$${STRESS_CYCLES:-$(TEST_STRESS_CYCLES)} NLFAM_RESULTS=test scripts/test --vm-only $(test-kernel-args)

test: test-kernels
	@FUZZ_MESSAGES=$${FUZZ_MESSAGES:-$(TEST_FUZZ_MESSAGES)} STRESS_CYCLES=$${STRESS_CYCLES:-$(TEST_STRESS_CYCLES)} NLFAM_RESULTS=test scripts/test $(test-kernel-args)

# As many fuzz messages as asked: make fuzz FUZZ_MESSAGES=10000000 FUZZ_SEED=42
fuzz: setup kernel module userspace
	@FUZZ_MESSAGES=$${FUZZ_MESSAGES:-1000000} NLFAM_TEST_TIMEOUT=$${NLFAM_TEST_TIMEOUT:-86400} NLFAM_VM_TIMEOUT=$${NLFAM_VM_TIMEOUT:-86400} \
	  NLFAM_RESULTS=fuzz scripts/test --vm-only --kernel "$(KBUILD_DIR)" fuzz.sh

# Stress on the debug kernel: make stress STRESS_CYCLES=1000
stress: setup
	@$(MAKE) -s FLAVOR=$(TEST_FLAVOR) KERNEL=$(TEST_FLAVOR) kernel module userspace
	@STRESS_CYCLES=$${STRESS_CYCLES:-1000} NLFAM_TEST_TIMEOUT=$${NLFAM_TEST_TIMEOUT:-86400} NLFAM_VM_TIMEOUT=$${NLFAM_VM_TIMEOUT:-86400} \
	  NLFAM_RESULTS=stress scripts/test --vm-only --kernel "$$(scripts/build-kernel $(TEST_FLAVOR))" unload_race.sh stress_kv.sh flood.sh

# Benchmarks: Rust module vs bench/c-reference vs the send-to-self floor, in one boot of the
# plain kernel; tables in bench/results/latest.md (scripts/bench --help for the knobs).
.PHONY: bench
bench: setup
	@scripts/bench

clean:
	-@kdir=$$(scripts/build-kernel $(FLAVOR) 2>/dev/null) && $(MAKE) -s -C "$$kdir" M=$(CURDIR) clean && \
	  $(MAKE) -s -C "$$kdir" M=$(CURDIR)/tests/report-selftest clean
	cd $(USERSPACE) && $(CARGO) clean
