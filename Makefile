# bulkhead: the two commands of README.md, and a few more for developers.
#
#   make demo       install what is missing, build, run the two-site demo
#   make test       install what is missing, build, run every test (unit, integration,
#                   security, fuzz smoke)
#   make sanitize   the whole test suite against an ASan/UBSan build
#   make fuzz       run each fuzz target for FUZZ_SECONDS (default 60)
#   make format     clang-format every source file

BUILD        ?= build
BUILD_TYPE   ?= RelWithDebInfo
JOBS         ?= $(shell nproc)
FUZZ_SECONDS ?= 60
DEMO_PORT    ?= 8080

# Debian 12 packages the build and the tests need.
PACKAGES := build-essential cmake pkg-config libtomlplusplus-dev libcli11-dev \
            libgtest-dev libgmock-dev libseccomp-dev libcap-dev libssl-dev libnghttp2-dev \
            python3-pytest python3-requests clang libclang-rt-14-dev media-types \
            curl procps iproute2 php-cgi perl logrotate openssl nghttp2-client

.PHONY: all deps build demo test sanitize fuzz fuzz-build format clean

all: build

deps:
	@missing=$$(for p in $(PACKAGES); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; \
	  done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  if [ "$$(id -u)" != 0 ]; then echo "need root to apt-get install:" $$missing >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

fuzz-build: deps
	CXX=clang++ CC=clang cmake -S tests/fuzz -B $(BUILD)-fuzz >/dev/null
	cmake --build $(BUILD)-fuzz -j $(JOBS)

demo: build
	./$(BUILD)/bulkhead demo --port $(DEMO_PORT)

test: build fuzz-build
	cd $(BUILD) && BULKHEAD_FUZZ_DIR=$(CURDIR)/$(BUILD)-fuzz ctest --output-on-failure -j 2

sanitize: deps
	cmake -S . -B $(BUILD)-asan -DCMAKE_BUILD_TYPE=Debug -DBULKHEAD_SANITIZE=ON >/dev/null
	cmake --build $(BUILD)-asan -j $(JOBS)
	cd $(BUILD)-asan && ctest --output-on-failure -j 2

fuzz: fuzz-build
	for f in $(BUILD)-fuzz/fuzz_*; do \
	  name=$$(basename $$f); mkdir -p $(BUILD)-fuzz/corpus-$$name; \
	  $$f -max_total_time=$(FUZZ_SECONDS) $(BUILD)-fuzz/corpus-$$name tests/fuzz/corpus/$$name || exit 1; \
	done

format:
	find src tests -name '*.cpp' -o -name '*.hpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(BUILD)-fuzz $(BUILD)-asan

# Benchmarks against nginx, lighttpd and Apache (mpm-itk, prefork), not part of `make test`:
# see docs/benchmarks.md. `make bench BENCH_MODE=quick` takes a few minutes;
# `make bench-scale` starts bulkhead with 1,000 sites.
BENCH_MODE ?= full

.PHONY: bench bench-scale
bench: build
	BENCH_MODE=$(BENCH_MODE) BUILD=$(BUILD) bench/run.sh

bench-scale: build
	BUILD=$(BUILD) bench/scale.sh

# bulkhead next to nginx over HTTPS and HTTP/2 (docs/benchmarks.md, "TLS and HTTP/2");
# BENCH_MODE=quick takes about 3 minutes, the full run about 11.
.PHONY: bench-tls
bench-tls: build
	BENCH_MODE=$(BENCH_MODE) BUILD=$(BUILD) bench/tls.sh
