# The two commands of the README: `make run` and `make test`. Both install what is missing first.
BUILD_DIR ?= build
SANITIZE_DIR ?= build-sanitize
JOBS ?= 2
HUB_DIR ?= .hub

.PHONY: all setup build run test test-unit test-sanitize format clean

all: build

setup:
	@tools/setup

# Release (-O2, no debug info) for the tests and the demo; the benchmark builds its own
# RelWithDebInfo copy so that profiles name functions. Ninja, as it schedules the two cores best.
build: setup
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD_DIR) -j$(JOBS)

run: build
	@tools/run $(BUILD_DIR)/saphan $(HUB_DIR)

# Every test, through CTest. The sanitizer run of the unit tests comes first so that the last
# line printed is the summary of the full suite.
test: test-sanitize build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j$(JOBS) --timeout 600

test-sanitize: setup
	@cmake -S . -B $(SANITIZE_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSAPHAN_SANITIZE=ON >/dev/null
	@cmake --build $(SANITIZE_DIR) -j$(JOBS) --target saphan_unit_tests
	@cd $(SANITIZE_DIR) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j$(JOBS) -L unit

format:
	@find src tests connectors -name '*.[ch]pp' | xargs clang-format -i

clean:
	@rm -rf $(BUILD_DIR) $(SANITIZE_DIR)
