# The two commands of the README: `make run` and `make test`. Both install what is missing first.
BUILD_DIR ?= build
JOBS ?= 2
HUB_DIR ?= .hub

.PHONY: all setup configure build run test test-sanitize fuzz format clean

all: build

setup:
	@tools/setup

# One build directory holds everything: the library as configured (Release: -O2, no debug
# information) for `saphan`, the demo and the integration tests, and a second copy with
# AddressSanitizer and UndefinedBehaviorSanitizer that the unit tests also run against (see
# CMakeLists.txt). The benchmark builds its own RelWithDebInfo copy so that profiles name
# functions. Ninja, as it schedules the two cores best.
configure: setup
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j$(JOBS) --target saphan

run: build
	@tools/run $(BUILD_DIR)/saphan $(HUB_DIR)

# Every test, through CTest: the unit tests against both copies of the library, then the
# integration tests, with CTest's summary line last.
test: configure
	@cmake --build $(BUILD_DIR) -j$(JOBS)
	@cd $(BUILD_DIR) && $(SANITIZER_ENV) ctest --output-on-failure -j$(JOBS) --timeout 600

# Only the unit tests and the fuzz corpus replay, against the sanitizer build.
test-sanitize: configure
	@cmake --build $(BUILD_DIR) -j$(JOBS) --target saphan_unit_tests_sanitized \
	  saphan_fuzz_replay_sanitized
	@cd $(BUILD_DIR) && $(SANITIZER_ENV) ctest --output-on-failure -j$(JOBS) -L sanitize

# The libFuzzer targets (tests/fuzz/README.md), one after another for FUZZ_SECONDS each (default
# 60), built with clang in build-fuzz; what they find that adds coverage joins the kept corpus.
fuzz:
	@tools/setup --fuzz
	@JOBS=$(JOBS) tools/fuzz

SANITIZER_ENV = ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1

format:
	@find src tests connectors -name '*.[ch]pp' | xargs clang-format -i

clean:
	@rm -rf $(BUILD_DIR)
