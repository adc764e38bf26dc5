# SPDX-License-Identifier: GPL-2.0
#
# atcp: build the module against the Debian kernel the VM boots, and run
# things in that VM.
#
# KERNEL= picks the kernel line, for every target that builds or boots:
#   6.1 (default)  Debian 12's kernel; the module is built in the tree,
#                  module/atcp.ko
#   6.1-rt         Debian 12's PREEMPT_RT kernel    } built in a copy of the
#   6.12           Debian 12's 6.12 (LTS) kernel    } sources, build/<version>/
# scripts/setup installs the kernel of the line and its headers on first use.
#
#   make [all|module]   scripts/setup, then build the module
#   make selftests      build the C programs in selftests/
#   make tools          build tools/atcp-bench
#   make check          all + selftests + tools, then selftests/run_tests in
#                       the VM (TESTS="test_a test_b" runs a subset;
#                        CHECK_TIMEOUT=seconds bounds the whole VM run)
#   make demo           all + selftests, then scripts/demo in the VM (the
#                       pictures go to demo-out/: demo-out/index.html)
#   make check-nic      all + selftests, then two VMs joined by a virtio-net
#                       link (scripts/vm-pair): selftests/nic/run
#   make bench-nic      all + tools, then scripts/bench-nic: stream, rr, crr
#                       between the two VMs, TCP and atcp
#   make bench          all + tools, then scripts/bench in the VM: the table
#                       on stdout, bench.json here (ATCP_BENCH_* variables
#                       set durations and counts; BENCH_TIMEOUT=seconds
#                       bounds the VM run; Documentation/bench.rst)
#   make check-debug    all that, on the debug kernel (KASAN, lockdep,
#                       kmemleak, UBSAN: scripts/build-debug-kernel, built
#                       once per machine) with atcp built for it
#                       (scripts/build-debug-module); any splat or leak fails
#                       (TESTS= as for check; CHECK_DEBUG_TIMEOUT bounds the
#                        VM run, DEBUG_TEST_TIMEOUT each test)
#   make soak           scripts/soak under the debug kernel: mixed traffic
#                       for SOAK_SECONDS (default 600), then teardown
#   make kunit          atcp's KUnit suites (module/tests/, atcp_kunit.ko,
#                       built only for a kernel with CONFIG_KUNIT) in the VM
#                       under the debug kernel: KTAP, `# Totals: ...` and
#                       `N passed, N failed` (scripts/kunit; KUNIT_TIMEOUT
#                       bounds the VM run)
#   make debug-kernel   only build (or find) the debug kernel
#   make checkpatch     checkpatch.pl --strict on the module's sources
#   make sparse         build with sparse over every file (C=2)
#   make W1             build with W=1 warnings (module/tests/ too, against
#                       the debug kernel if it is built)
#   make clean
#
#   make dkms-check     dkms add/build/install from this tree for each kernel
#                       line, modprobe atcp in the VM, then dkms remove
#
# KVER (default: scripts/kver) and KDIR (its headers) may be overridden.

KERNEL ?= 6.1
# The scripts (setup, kver, vm-run) read the line from the environment.
export ATCP_KERNEL := $(KERNEL)

# Recursively expanded, all of them: scripts/setup (the first prerequisite
# of every target that builds) may be what installs the kernel and its
# headers, so nothing may ask scripts/kver before it has run.
KVER ?= $(shell ATCP_KERNEL=$(KERNEL) scripts/kver)
KDIR ?= $(firstword $(wildcard /lib/modules/$(KVER)/build) \
		    /usr/src/linux-headers-$(KVER))
# Where kbuild puts the objects: next to the sources, so a kernel other
# than the default one gets a copy of them of its own.
ifeq ($(KERNEL),6.1)
MODDIR = $(CURDIR)
else
MODDIR = $(CURDIR)/build/$(KVER)
endif
KSRC ?= /usr/src/linux-source-6.1
CHECK_TIMEOUT ?= 2100
BENCH_TIMEOUT ?= 1800
TOOLS := tools/atcp-bench
CHECK_DEBUG_TIMEOUT ?= 14400
DEBUG_TEST_TIMEOUT ?= 1200
SOAK_SECONDS ?= 600
KUNIT_TIMEOUT ?= 900
NIC_TIMEOUT ?= 1200
VM_RUN = scripts/vm-run --module $(MODDIR)/module/atcp.ko
KBUILD = $(MAKE) -C $(KDIR) M=$(MODDIR)

all: module

setup:
	@scripts/setup

module: setup
ifneq ($(KERNEL),6.1)
	@scripts/copy-sources --with-test-modules $(MODDIR)
endif
	$(KBUILD) modules

selftests: setup
	$(MAKE) -C selftests

tools: $(TOOLS)

tools/atcp-bench: tools/atcp-bench.c $(wildcard include/uapi/linux/*.h)
	$(CC) -O2 -g -Wall -Wextra -Iinclude -o $@.tmp $< -lpthread && mv -f $@.tmp $@

check: all selftests tools
	$(VM_RUN) --timeout $(CHECK_TIMEOUT) -- selftests/run_tests $(TESTS)

demo: all selftests
	$(VM_RUN) -- scripts/demo

# The host's load goes into the table: TCG figures mean little on a busy host.
check-nic: all selftests
	NIC_TIMEOUT=$(NIC_TIMEOUT) selftests/nic/run --module $(MODDIR)/module/atcp.ko

bench-nic: all tools
	scripts/bench-nic --module $(MODDIR)/module/atcp.ko

bench: all selftests tools
	ATCP_BENCH_HOST_LOAD="$$(cut -d ' ' -f 1-3 /proc/loadavg)" \
		$(VM_RUN) --timeout $(BENCH_TIMEOUT) -- scripts/bench

# The debug kernel's targets.  vm-run boots it the way a KASAN kernel needs
# (its config next to the bzImage says so) and loads the atcp.ko built for
# it in place of module/atcp.ko, which stays as make built it.
DEBUG_VM_RUN = ko=$$(scripts/build-debug-module) && \
	kdir=$$(scripts/build-debug-kernel --dir) && \
	scripts/vm-run --kernel "$$kdir/bzImage" --module "$$ko"

debug-kernel: setup
	scripts/build-debug-kernel

check-debug: setup selftests
	$(DEBUG_VM_RUN) --timeout $(CHECK_DEBUG_TIMEOUT) -- \
		env ATCP_TEST_TIMEOUT=$(DEBUG_TEST_TIMEOUT) selftests/run_tests $(TESTS)

# The suites load with atcp.ko, both built for the debug kernel
# (scripts/build-debug-module builds module/tests/ there too).
kunit: setup
	$(DEBUG_VM_RUN) --timeout $(KUNIT_TIMEOUT) -- scripts/kunit

soak: setup selftests
	$(DEBUG_VM_RUN) --timeout $$(($(SOAK_SECONDS) + 1200)) -- \
		env ATCP_SOAK_SECONDS=$(SOAK_SECONDS) scripts/soak

dkms-check:
	scripts/check-dkms

checkpatch: setup
	$(KSRC)/scripts/checkpatch.pl --no-tree --strict -f \
		$(filter-out %.mod.c,$(wildcard module/*.c module/*.h \
			module/tests/*.c module/tests/*.h)) \
		include/uapi/linux/atcp.h

sparse: setup
	$(KBUILD) C=2 modules

# The unit tests build only for a kernel with KUnit: the debug kernel's,
# when this machine has it.
W1: setup
	$(KBUILD) W=1 modules
	@if scripts/build-debug-kernel --dir >/dev/null; then \
		echo "W=1 against the debug kernel (module/tests/ too):"; \
		scripts/build-debug-module W=1 >/dev/null; \
	else \
		echo "no debug kernel here (make debug-kernel): module/tests/ not built"; \
	fi

clean:
	@if [ -d "$(KDIR)" ]; then $(KBUILD) clean; fi
	$(MAKE) -C selftests clean
	rm -f $(TOOLS)
	rm -rf build

.PHONY: all setup module selftests tools check demo bench checkpatch sparse W1 clean
.PHONY: check-nic bench-nic
.PHONY: debug-kernel check-debug kunit soak dkms-check
