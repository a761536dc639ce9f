# msgbus — the two commands a newcomer needs are `make demo` and `make test`.
# Each surface (Rust core, C library, C++ wrapper, Python package) adds its
# checks to `test`; `demo` and `test` install what they need on a fresh
# Debian machine.

CARGO ?= cargo
PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
DESTDIR ?=
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
ABI := 0
LIB := target/release
# What make install puts where (under DESTDIR): make uninstall removes
# exactly these, and msgbus's own directory LIBDIR/cmake/msgbus.
INSTALLED = $(INCLUDEDIR)/msgbus.h $(INCLUDEDIR)/msgbus.hpp \
	$(LIBDIR)/libmsgbus.so.$(VERSION) $(LIBDIR)/libmsgbus.so.$(ABI) $(LIBDIR)/libmsgbus.so \
	$(LIBDIR)/libmsgbus.a $(LIBDIR)/pkgconfig/msgbus.pc $(LIBDIR)/pkgconfig/msgbus-shared.pc \
	$(LIBDIR)/cmake/msgbus/msgbusConfig.cmake $(LIBDIR)/cmake/msgbus/msgbusConfigVersion.cmake
# Renders the .pc and CMake templates (ffi/*.pc.in, ffi/cmake/*.in); the
# CMake package finds INCLUDEDIR relative to LIBDIR, as CMake's own
# generated packages do, so that the installed tree can move.
RENDER = sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' \
	-e "s|@INCLUDEDIR_FROM_LIBDIR@|$$(realpath -m --relative-to=$(LIBDIR) $(INCLUDEDIR))|g" -e 's|@VERSION@|$(VERSION)|g' \
	-e 's|@ABI@|$(ABI)|g' -e "s|@SIZEOF_VOID_P@|$$(($$(getconf LONG_BIT) / 8))|g"
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
C_PACKAGES := gcc g++ valgrind pkgconf cmake libasan8 libubsan1
# The NATS server the bridge tests start (bridge/, SPEC §8), never as a
# service: each test runs its own on a free port; iproute2 makes the two
# network namespaces of the two-host test.
NATS_PACKAGES := nats-server iproute2
VENV := target/venv
PYTHON := $(CURDIR)/$(VENV)/bin/python
PY_TOOLS := maturin==1.16.0 pytest==9.2.0 pytest-timeout==2.4.0 mypy==2.4.1 prometheus-client==0.26.0
BENCH_TOOLS := matplotlib==3.11.2 pyzmq==27.3.0
# make bench-bridge's Python baseline.
BRIDGE_BENCH_TOOLS := nats-py==2.16.0
# libzmq's headers and library, for make bench's C baseline (bench/c/zmq.c).
BENCH_PACKAGES := libzmq3-dev
PACKAGE_VENV := target/venv-package
PACKAGE_TOOLS := auditwheel==6.4.2
# make wheel: maturin, and zig (from PyPI) as the linker for glibc 2.17;
# its own venv and cargo target directory, apart from the dev build's.
WHEEL_VENV := target/venv-wheel
WHEEL_TOOLS := $(filter maturin==%,$(PY_TOOLS)) ziglang==0.15.2
WHEEL_TARGET := target/wheel-build
WHEELS := target/wheels
BENCH_REPS ?= 5
BENCH := target/bench
EXAMPLES := target/examples
EXAMPLE_FLAGS := -Wall -Wextra -Werror -Iinclude -pthread
EXAMPLE_LIBS := -L$(LIB) -lmsgbus -Wl,-rpath,$(CURDIR)/$(LIB)
EXAMPLE_TOPICS := default_synchronous direct_synchronous registration_events tuning operations
FUZZ_PACKAGES := clang libclang-rt-14-dev
FUZZ_SECONDS ?= 60
FUZZ := target/fuzz
# libmsgbus.a with libFuzzer's coverage instrumentation, so that the fuzzer
# is guided by the library's branches and not only the harness's.
FUZZ_RUSTFLAGS := -Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
	-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
	-Cllvm-args=-sanitizer-coverage-trace-compares
FUZZ_TARGET := x86_64-unknown-linux-gnu
SOAK_SECONDS ?= 600
STRESS_SECONDS ?= 10
RELIABILITY := target/reliability
REPORT ?= $(RELIABILITY)/RELIABILITY.md
TOOLS := target/tools
PROMTOOL := $(TOOLS)/promtool

.PHONY: all demo demo-bridge test lint test-rust nats-deps c-deps ffi header check-header \
	check-symbols test-c test-cpp test-header test-install install uninstall clean \
	python test-python wheel test-python-package example-programs test-demo examples \
	test-examples test-readme bench bench-quick bench-programs bench-bridge bench-bridge-quick bench-bridge-programs fuzz-deps fuzz-programs fuzz soak reliability \
	test-metrics

all: test

## Builds the example programs (examples/c, examples/cpp) into target/examples.
example-programs: c-deps ffi
	@mkdir -p $(EXAMPLES)
	@for program in $(basename $(notdir $(wildcard examples/c/*.c))); do \
	  cc -std=c11 $(EXAMPLE_FLAGS) examples/c/$$program.c $(EXAMPLE_LIBS) -o $(EXAMPLES)/$$program || exit 1; done
	g++ -std=c++17 $(EXAMPLE_FLAGS) -Ibindings/cpp examples/cpp/seed.cpp $(EXAMPLE_LIBS) -o $(EXAMPLES)/seed-cpp

## Runs the seed scenario (N8K5Baker → N8K5CharlieMessageListener → reply)
## as a C program, a C++ program and a Python script.
demo: example-programs python
	@echo "== C: examples/c/seed.c" && $(EXAMPLES)/seed
	@echo "== C++: examples/cpp/seed.cpp" && $(EXAMPLES)/seed-cpp
	@echo "== Python: examples/python/seed.py" && $(PYTHON) examples/python/seed.py

## The seed scenario between two processes over a nats-server it starts
## on the loopback: process A in Python (examples/python/bridge_seed.py),
## process B in C (examples/c/bridge_node.c).
demo-bridge: nats-deps example-programs python
	cd examples/python && $(PYTHON) bridge_seed.py $(CURDIR)/$(EXAMPLES)/bridge_node

## make demo, checked: each program logs the request and the reply.
test-demo:
	@$(MAKE) --no-print-directory demo > target/demo.log 2>&1 || { cat target/demo.log; exit 1; }
	@for line in \
	  'INFO [acme/n8k5_able-1][N8K5CharlieMessageListener] Received message payload N8K5Baker#_activate' \
	  'INFO [acme/n8k5_baker-1][N8K5Baker] Received message payload N8K5CharlieMessageListener'; do \
	  test "$$(grep -cxF "$$line" target/demo.log)" = 3 || { cat target/demo.log; echo "missing 3 times: $$line"; exit 1; }; \
	done
	@echo "make demo: the seed scenario ran in C, C++ and Python"

## One example per topic of Liferay's guide, in C and in Python.
examples: example-programs python
	@for topic in $(EXAMPLE_TOPICS); do \
	  echo "== C: examples/c/$$topic.c" && $(EXAMPLES)/$$topic || exit 1; \
	  echo "== Python: examples/python/$$topic.py" && $(PYTHON) examples/python/$$topic.py || exit 1; \
	done

## make examples, checked: both languages print examples/expected/<topic>.txt.
test-examples: example-programs python
	@for topic in $(EXAMPLE_TOPICS); do \
	  for program in "$(EXAMPLES)/$$topic" "$(PYTHON) examples/python/$$topic.py"; do \
	    $$program 2>/dev/null > target/examples/$$topic.out || { echo "$$program failed"; exit 1; }; \
	    diff -u examples/expected/$$topic.txt target/examples/$$topic.out || { echo "$$program: unexpected output"; exit 1; }; \
	  done; \
	done
	@echo "make examples: $(words $(EXAMPLE_TOPICS)) topics printed what examples/expected/ says, in C and Python"

## The README's quick starts, run as written (tests/readme/run.py).
test-readme: c-deps ffi
	python3 tests/readme/run.py

## The benchmark programs: Rust (with the crossbeam baseline), C, the
## libzmq baseline, and pyzmq and the plotting library for the report.
bench-programs: c-deps ffi python $(VENV)/.bench-tools
	@dpkg -s $(BENCH_PACKAGES) >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(BENCH_PACKAGES); }
	$(CARGO) build --release -q -p msgbus-bench
	@mkdir -p $(BENCH)
	cc -std=c11 -O2 $(EXAMPLE_FLAGS) bench/c/bench.c $(EXAMPLE_LIBS) -o $(BENCH)/bench-c
	cc -std=c11 -O2 $(EXAMPLE_FLAGS) bench/c/zmq.c -lzmq -o $(BENCH)/bench-zmq

## W1–W4, S1, scaling and memory through Rust, C and Python against the
## baselines of the same run (crossbeam, libzmq, SimpleQueue, pyzmq);
## BENCH_REPS repetitions, medians, results in bench/results/.
bench: bench-programs bench-bridge
	$(PYTHON) bench/report.py --rust $(LIB)/msgbus-bench --c $(BENCH)/bench-c --zmq $(BENCH)/bench-zmq --reps $(BENCH_REPS) --out bench/results

## Every benchmark once at a small size: checks they run and report
## (figures from it mean nothing).
bench-quick: bench-programs bench-bridge-quick
	$(PYTHON) bench/report.py --rust $(LIB)/msgbus-bench --c $(BENCH)/bench-c --zmq $(BENCH)/bench-zmq --reps 1 --out $(BENCH)/quick --quick
	@test -n "$$(find $(BENCH)/quick -name '*.json' -newer $(BENCH)/bench-c)" && test -n "$$(find $(BENCH)/quick -name '*.png' -newer $(BENCH)/bench-c)"

## make bench-bridge's programs: the Rust half, the nats-server it starts,
## and for the Python half nats-py and the msgbus package.
bench-bridge-programs: nats-deps python $(VENV)/.bench-bridge-tools
	$(CARGO) build --release -q -p msgbus-bridge-bench

## msgbus bridged over NATS between two processes, each measurement with a
## nats-server of its own: throughput (200 000 messages) and request/reply
## latency (5 000 round trips), against raw async-nats (Rust) and nats-py
## (Python) carrying as many bytes; bench-bridge-quick: 20 000 and 500.
## JSON lines in $(BENCH)/<target>-rust.jsonl and -python.jsonl, and a
## table of every figure.
bench-bridge bench-bridge-quick: bench-bridge-programs
	@mkdir -p $(BENCH)
	$(LIB)/msgbus-bridge-bench throughput $(if $(filter %-quick,$@),--quick) > $(BENCH)/$@-rust.jsonl
	$(LIB)/msgbus-bridge-bench rr $(if $(filter %-quick,$@),--quick) >> $(BENCH)/$@-rust.jsonl
	cat $(BENCH)/$@-rust.jsonl
	$(PYTHON) bench/bridge/nats_py.py $(if $(filter %-quick,$@),--quick) --rust $(BENCH)/$@-rust.jsonl \
	  > $(BENCH)/$@-python.jsonl
	cat $(BENCH)/$@-python.jsonl
	@$(if $(filter %-quick,$@),,stamp=$$(date -u +%Y%m%dT%H%M%SZ) && \
	  cat $(BENCH)/$@-rust.jsonl $(BENCH)/$@-python.jsonl > bench/results/$$stamp-bridge.jsonl && \
	  echo "bench/results/$$stamp-bridge.jsonl")

## make bench-bridge's Python baseline.
$(VENV)/.bench-bridge-tools: $(VENV)/.tools
	$(VENV)/bin/pip install -q $(BRIDGE_BENCH_TOOLS)
	touch $@

## clang and libFuzzer (Debian's packages).
fuzz-deps:
	@dpkg -s $(FUZZ_PACKAGES) >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(FUZZ_PACKAGES); }

## The fuzzer: tests/fuzz/fuzz_bus.c under ASan+UBSan, linked with an
## instrumented libmsgbus.a.
fuzz-programs: fuzz-deps
	RUSTFLAGS="$(FUZZ_RUSTFLAGS)" $(CARGO) build --release -q -p msgbus-ffi \
	  --target $(FUZZ_TARGET) --target-dir $(FUZZ)/build
	clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Iinclude \
	  tests/fuzz/fuzz_bus.c $(FUZZ)/build/$(FUZZ_TARGET)/release/libmsgbus.a -lpthread -ldl -lm \
	  -o $(FUZZ)/fuzz_bus

## Fuzzes the C API for FUZZ_SECONDS from the committed seed corpus
## (tests/fuzz/corpus); new inputs collect in target/fuzz/corpus, a crash
## leaves its input in target/fuzz/.
fuzz: fuzz-programs
	@mkdir -p $(FUZZ)/corpus
	$(FUZZ)/fuzz_bus -max_total_time=$(FUZZ_SECONDS) -max_len=192 -print_final_stats=1 \
	  -artifact_prefix=$(FUZZ)/ $(FUZZ)/corpus tests/fuzz/corpus > $(FUZZ)/fuzz.log 2>&1 || { tail -60 $(FUZZ)/fuzz.log; exit 1; }
	@grep -E '^(#[0-9]+\s+DONE|Done)' $(FUZZ)/fuzz.log

## The accounting stress test (core/tests/stress.rs) for SOAK_SECONDS.
soak:
	MSGBUS_STRESS_SECONDS=$(SOAK_SECONDS) $(CARGO) test --release -p msgbus --test stress -- --nocapture

## The reliability tests with their figures (the stress test for
## STRESS_SECONDS, shutdown under load, listener faults, the registry at
## scale, the cases found from outside, Python memory, process life and
## bad input, the fuzzer for FUZZ_SECONDS) and the report written from
## them into REPORT; REPORT=RELIABILITY.md refreshes the committed one.
## Reads the C tests' logs, so runs after make test-c.
reliability: python fuzz
	@mkdir -p $(RELIABILITY)
	MSGBUS_STRESS_SECONDS=$(STRESS_SECONDS) $(CARGO) test --release -q -p msgbus \
	  --test stress --test shutdown_under_load --test faults --test shutdown --test registry \
	  --test registry_scale -- --nocapture \
	  > $(RELIABILITY)/rust.log 2>&1 || { tail -60 $(RELIABILITY)/rust.log; exit 1; }
	$(PYTHON) -m pytest -q -s tests/python/test_process.py > $(RELIABILITY)/python_process.log 2>&1 \
	  || { cat $(RELIABILITY)/python_process.log; exit 1; }
	$(PYTHON) -m pytest -q -s tests/python/test_memory.py > $(RELIABILITY)/python_memory.log 2>&1 \
	  || { cat $(RELIABILITY)/python_memory.log; exit 1; }
	$(PYTHON) -m pytest -q tests/python/test_bad_input.py > $(RELIABILITY)/python_bad_input.log 2>&1 \
	  || { cat $(RELIABILITY)/python_bad_input.log; exit 1; }
	$(PYTHON) tests/reliability/report.py --logs $(RELIABILITY) --fuzz-log $(FUZZ)/fuzz.log \
	  --c-logs target/c-tests --out $(REPORT)

## Everything CI checks; the reliability report comes last.
test: lint test-rust check-header check-symbols test-header test-install test-cpp \
	test-python test-python-package test-demo test-examples test-readme bench-quick test-c \
	test-metrics reliability

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

test-rust: nats-deps
	$(CARGO) test --workspace

## Debian's nats-server (and iproute2), for the bridge tests and make
## demo-bridge.
nats-deps:
	@dpkg -s $(NATS_PACKAGES) >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(NATS_PACKAGES); }

## promtool, unpacked from Debian's prometheus package: no server is
## installed, let alone started.
$(PROMTOOL):
	@mkdir -p $(TOOLS)/deb
	@cd $(TOOLS)/deb && { apt-get download prometheus >download.log 2>&1 || \
	  { $(SUDO) apt-get update -qq && apt-get download prometheus >download.log 2>&1; } || \
	  { cat download.log; exit 1; }; }
	dpkg-deb -x $(TOOLS)/deb/prometheus_*.deb $(TOOLS)/deb/root
	cp $(TOOLS)/deb/root/usr/bin/promtool $@

## The metrics text of a bus that did a bit of everything, as promtool
## reads it (core/tests/metrics.rs writes it).
test-metrics: $(PROMTOOL)
	MSGBUS_METRICS_FILE=$(CURDIR)/target/metrics.prom $(CARGO) test -q -p msgbus --test metrics
	$(PROMTOOL) check metrics < target/metrics.prom
	@echo "promtool check metrics accepts the metrics text"

## The C toolchain, sanitizer runtimes, valgrind, pkg-config and cmake.
c-deps:
	@dpkg -s $(C_PACKAGES) >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(C_PACKAGES); }

## libmsgbus.so (SONAME libmsgbus.so.0, with the symlink in-tree tests
## need) and libmsgbus.a, in target/release.
ffi:
	$(CARGO) build --release -p msgbus-ffi
	ln -sf libmsgbus.so $(LIB)/libmsgbus.so.$(ABI)

## Copies the header cbindgen rendered into include/msgbus.h.
header:
	cp "$$(ffi/generated-header)" include/msgbus.h

## Fails when include/msgbus.h differs from a fresh rendering.
check-header:
	@generated="$$(ffi/generated-header)" && cmp -s "$$generated" include/msgbus.h || { \
	  echo "include/msgbus.h is stale: run make header"; diff -u include/msgbus.h "$$generated" | head -40; exit 1; }
	@echo "include/msgbus.h matches the sources"

## Only msgbus_* symbols exported; SONAME present.
check-symbols: ffi
	@others=$$(nm -D --defined-only $(LIB)/libmsgbus.so | awk '{print $$3}' | grep -v '^msgbus_'); \
	if [ -n "$$others" ]; then echo "exported besides msgbus_*:"; echo "$$others"; exit 1; fi
	@readelf -d $(LIB)/libmsgbus.so | grep -q 'SONAME.*\[libmsgbus\.so\.$(ABI)\]' || { echo "no SONAME libmsgbus.so.$(ABI)"; exit 1; }
	@echo "libmsgbus.so exports $$(nm -D --defined-only $(LIB)/libmsgbus.so | wc -l) msgbus_* symbols, SONAME libmsgbus.so.$(ABI)"

## The header alone as C11 and as C++17, included twice in one unit.
test-header: c-deps
	cc -std=c11 -Wall -Wextra -Werror -Iinclude -fsyntax-only tests/c/header_twice.c
	g++ -std=c++17 -Wall -Wextra -Werror -Iinclude -fsyntax-only -x c++ tests/c/header_twice.c
	@echo "msgbus.h compiles alone as C11 and C++17"

## The C tests: shared, static, ASan+UBSan, valgrind; and a bad-input row
## for every exported function.
test-c: c-deps nats-deps ffi
	LIB=$(LIB) tests/c/bad_input_coverage.sh
	LIB=$(LIB) tests/c/api_table_coverage.sh
	LIB=$(LIB) tests/c/run.sh

## The C++ wrapper: a C++ form for every exported function, the header
## alone (and its #error before C++17), then its tests under ASan+UBSan
## with -Werror, at -O0 and at -O2 (where GCC's flow warnings run).
test-cpp: c-deps nats-deps ffi
	LIB=$(LIB) tests/cpp/wrapper_coverage.sh
	g++ -std=c++17 -Wall -Wextra -Werror -Iinclude -fsyntax-only -x c++ bindings/cpp/msgbus.hpp
	@! g++ -std=c++14 -Iinclude -fsyntax-only -x c++ bindings/cpp/msgbus.hpp > target/cpp14.log 2>&1 \
	  && grep -q 'error: #error "msgbus.hpp needs C++17' target/cpp14.log \
	  && echo "msgbus.hpp under -std=c++14 stops with its #error" || { cat target/cpp14.log; exit 1; }
	mkdir -p target/cpp-tests
	@for level in O0 O2; do \
	  echo "g++ -$$level tests/cpp/test_wrapper.cpp (ASan+UBSan)" && \
	  g++ -std=c++17 -$$level -Wall -Wextra -Werror -Iinclude -Ibindings/cpp -g -pthread \
	    -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
	    tests/cpp/test_wrapper.cpp -L$(LIB) -lmsgbus -Wl,-rpath,$(CURDIR)/$(LIB) -o target/cpp-tests/test_wrapper-$$level \
	  && target/cpp-tests/test_wrapper-$$level || exit 1; \
	done

## make install (no cargo) into temporary prefixes, with LIBDIR lib,
## lib/<multiarch> and lib64, and with a DESTDIR; the quick start built
## against each with CMake
## (find_package, msgbus::msgbus and msgbus::msgbus_static) and with
## pkg-config (shared, --static, cc -static), the static programs run with
## no libmsgbus.so to load; then make uninstall, which must leave no file
## (tests/c/packaging.sh).
test-install: c-deps ffi
	MAKE="$(MAKE)" tests/c/packaging.sh

## Installs what make ffi built (it runs no cargo, so sudo make install
## works with a user's toolchain): libmsgbus.so with its SONAME symlinks
## and libmsgbus.a into LIBDIR, msgbus.h and msgbus.hpp into INCLUDEDIR,
## msgbus.pc (and the msgbus-shared.pc it requires) into LIBDIR/pkgconfig,
## the CMake package into LIBDIR/cmake/msgbus.
install:
	@for built in $(LIB)/libmsgbus.so $(LIB)/libmsgbus.a; do \
	  test -f $$built || { echo "make install: $$built is missing: run make ffi first"; exit 1; }; done
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(LIBDIR)/cmake/msgbus $(DESTDIR)$(INCLUDEDIR)
	install -m 644 include/msgbus.h bindings/cpp/msgbus.hpp $(DESTDIR)$(INCLUDEDIR)/
	install -m 755 $(LIB)/libmsgbus.so $(DESTDIR)$(LIBDIR)/libmsgbus.so.$(VERSION)
	ln -sf libmsgbus.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libmsgbus.so.$(ABI)
	ln -sf libmsgbus.so.$(ABI) $(DESTDIR)$(LIBDIR)/libmsgbus.so
	install -m 644 $(LIB)/libmsgbus.a $(DESTDIR)$(LIBDIR)/
	$(RENDER) ffi/msgbus.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/msgbus.pc
	$(RENDER) ffi/msgbus-shared.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/msgbus-shared.pc
	$(RENDER) ffi/cmake/msgbusConfig.cmake.in > $(DESTDIR)$(LIBDIR)/cmake/msgbus/msgbusConfig.cmake
	$(RENDER) ffi/cmake/msgbusConfigVersion.cmake.in > $(DESTDIR)$(LIBDIR)/cmake/msgbus/msgbusConfigVersion.cmake

## Removes what make install put there (the files INSTALLED lists, under
## the same DESTDIR, PREFIX and LIBDIR) and LIBDIR/cmake/msgbus once
## empty; directories other packages share (include, lib, lib/pkgconfig,
## lib/cmake) stay.
uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	@if [ -d $(DESTDIR)$(LIBDIR)/cmake/msgbus ]; then \
	  echo "rmdir $(DESTDIR)$(LIBDIR)/cmake/msgbus"; rmdir $(DESTDIR)$(LIBDIR)/cmake/msgbus; fi

## make bench's Python tools: the plotting library and pyzmq (a baseline).
$(VENV)/.bench-tools: $(VENV)/.tools
	$(VENV)/bin/pip install -q $(BENCH_TOOLS)
	touch $@

## A virtual environment with the Python build and test tools (again
## when the Makefile, which pins them, changes).
$(VENV)/.tools: Makefile
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q $(PY_TOOLS)
	touch $@

## The msgbus package, built in release mode, installed editable in the
## venv with the libmsgbus.so.0 and headers it ships (python/build.rs).
python: $(VENV)/.tools
	VIRTUAL_ENV=$(CURDIR)/$(VENV) $(VENV)/bin/maturin develop --release -q -m python/Cargo.toml

## The Python tests (pytest, with a timeout per test, and one for the run:
## a deadlock that holds the GIL stops pytest-timeout too), the stubs checked
## against the module (stubtest) and against the tests' use of it (mypy).
test-python: python ffi c-deps nats-deps
	cd tests/python && timeout -k 10 600 $(PYTHON) -m pytest -q -rs
	$(PYTHON) -m mypy.stubtest msgbus._msgbus
	$(PYTHON) -m mypy tests/python examples/python

## A venv with make wheel's tools.
$(WHEEL_VENV)/.tools:
	python3 -m venv $(WHEEL_VENV)
	$(WHEEL_VENV)/bin/pip install -q $(WHEEL_TOOLS)
	touch $@

## The release artifacts, in target/wheels: the abi3 wheel (CPython >= 3.10)
## for manylinux2014 (glibc >= 2.17), its extension and libmsgbus.so.0
## stripped and both linked by zig (python/build.rs's cargo inherits
## maturin's zig linker), and the sdist (which carries the headers, but not
## yet ffi/ and core/: maturin packs only path dependencies of python/).
wheel: $(WHEEL_VENV)/.tools
	rm -rf $(WHEELS)
	PATH="$(CURDIR)/$(WHEEL_VENV)/bin:$$PATH" CARGO_TARGET_DIR=$(CURDIR)/$(WHEEL_TARGET) \
	  CARGO_PROFILE_RELEASE_STRIP=symbols $(WHEEL_VENV)/bin/maturin build -q --release --strip \
	  --zig --compatibility manylinux2014 -m python/Cargo.toml --out $(WHEELS)
	$(WHEEL_VENV)/bin/maturin sdist -m python/Cargo.toml --out $(WHEELS)

## make wheel's wheel, installed in a fresh venv with pytest: checked by
## tests/package/check.py (auditwheel's manylinux_2_17 tag, abi3, the
## library and headers shipped, stripped, glibc 2.17 symbols at most), then
## the Python tests run against it, from tests/python, where `import msgbus`
## is the installed package and not python/msgbus. The tests build C
## programs against make ffi's libraries, as make test-python's do.
test-python-package: wheel ffi c-deps nats-deps
	rm -rf $(PACKAGE_VENV)
	python3 -m venv $(PACKAGE_VENV)
	$(PACKAGE_VENV)/bin/pip install -q $(WHEELS)/*.whl $(PACKAGE_TOOLS) $(filter pytest% prometheus-client%,$(PY_TOOLS))
	cd target && $(CURDIR)/$(PACKAGE_VENV)/bin/python $(CURDIR)/tests/package/check.py $(CURDIR)/$(WHEELS)/*.whl
	cd tests/python && $(CURDIR)/$(PACKAGE_VENV)/bin/python -c 'import msgbus, sys; \
	  assert msgbus.__file__.startswith(sys.prefix), msgbus.__file__' && \
	  timeout -k 10 600 $(CURDIR)/$(PACKAGE_VENV)/bin/python -m pytest -q -rs

clean:
	$(CARGO) clean
