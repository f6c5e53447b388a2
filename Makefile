# wirt: the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
MVN ?= mvn -B -ntp
JAR := target/wirt.jar

.PHONY: all build deb demo test unit bench bench-cli bench-console clean

all: build

$(JAR): pom.xml $(shell find src/main -type f 2>/dev/null)
	scripts/build-deps.sh
	$(MVN) -q -DskipTests package

build: $(JAR)

## deb: target/wirt_<version>_all.deb (mvn package builds it with the jar)
deb:
	scripts/build-deps.sh
	$(MVN) -q -DskipTests package
	@ls target/wirt_*_all.deb

## demo: run wirtd on libvirt's built-in test driver with demo users under target/demo (no root, no libvirtd)
demo: $(JAR)
	java -jar $(JAR) wirtd --demo target/demo

## test: the whole suite, end-to-end tests included (as root: installs libvirt/QEMU, starts libvirtd, creates test users;
## PackageTest installs and purges target/wirt_*_all.deb after `package`, in failsafe's integration-test phase;
## SystemdTest boots this machine's OS in a systemd-nspawn container on an overlay of / and installs it there)
test:
	@if [ "$$(id -u)" -ne 0 ]; then \
	  echo "make test needs root (sudo make test): its end-to-end tests create Unix users and drive a real libvirtd" >&2; \
	  exit 1; \
	fi
	scripts/build-deps.sh
	scripts/test-env.sh
	@# One suite at a time on a machine: two would share libvirtd, the test users and /var/log/wirt.
	flock /run/wirt-make-test.lock $(MVN) verify
	@echo "make test: all tests passed"

## unit: the tests that need neither root nor libvirtd
unit:
	scripts/build-deps.sh
	$(MVN) test -DexcludedGroups=e2e,root

# The JVM options of the packaged wirtd (packaging/bin/wirtd), so that the benchmarks measure
# what is deployed; the bench raises the heap cap for libvirt's test driver, which holds up to
# 50,000 domains in the same process.
BENCH_CP = target/classes:target/test-classes:$$(cat target/test-classpath.txt)
WIRTD_OPTS := $(shell sed -n 's/^default_opts="\(.*\)"$$/\1/p' packaging/bin/wirtd)

## bench: the benchmark suite at full size (about 30 minutes, as root: two measures use libvirtd with QEMU); tables on stdout and in target/bench.json and target/bench-rest.json
bench:
	scripts/build-deps.sh
	scripts/test-env.sh
	$(MVN) -q test-compile dependency:build-classpath -Dmdep.outputFile=target/test-classpath.txt -Dmdep.includeScope=test
	WIRT_LOG_LEVEL=WARN java $(WIRTD_OPTS) -Xmx2g -cp $(BENCH_CP) org.wirt.bench.Bench target/bench.json \
	  latency overhead overheadQemu throughput sweep flood refusals console
	@# At rest, memory and start-up in a fresh JVM with exactly the packaged options.
	WIRT_LOG_LEVEL=WARN java $(WIRTD_OPTS) -cp $(BENCH_CP) org.wirt.bench.Bench target/bench-rest.json rest

## bench-console: only the console measure, wirtd's relay beside virsh console on one QEMU guest (as root, a few minutes): table on stdout and in target/bench-console.json
bench-console:
	scripts/build-deps.sh
	scripts/test-env.sh
	$(MVN) -q test-compile dependency:build-classpath -Dmdep.outputFile=target/test-classpath.txt -Dmdep.includeScope=test
	WIRT_LOG_LEVEL=WARN java $(WIRTD_OPTS) -cp $(BENCH_CP) org.wirt.bench.Bench target/bench-console.json console

## bench-cli: wirt and wirtctl start-up beside virsh (hyperfine; about a minute): table on stdout, runs in target/bench-cli/
bench-cli: $(JAR)
	scripts/bench-cli.sh

clean:
	$(MVN) clean
