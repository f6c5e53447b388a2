# Sourced by /usr/bin/wirt, /usr/sbin/wirtctl and update-cds-archive: the Java they run and the
# options of a short-lived command (README "Start-up"; docs/BENCHMARKS.md "CLI start-up").
# shellcheck shell=sh

# Prefers Java 17 where it is installed: the default `java` may be another version on a host that
# has several (the package depends on Java 17 or newer).
wirt_java=java
wirt_libjvm=
for candidate in /usr/lib/jvm/java-17-openjdk-*/bin/java; do
  if [ -x "$candidate" ]; then
    wirt_java=$candidate
    wirt_libjvm=${candidate%/bin/java}/lib/server/libjvm.so
    break
  fi
done

# The quick JIT tier and the serial GC start fastest; no hsperfdata file in /tmp.
wirt_base_opts="-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData"

# wirt_cli_setup JAR ARCHIVE: sets wirt_opts, with the class-data sharing archive ARCHIVE if it
# was made after JAR and after the JVM. The JVM itself refuses an archive of another jar or JVM,
# silently (-Xshare:auto), but then shares nothing at all, not even the JDK's own archive: a stale
# archive is better left out. The archive is root's, in a directory only root can write
# (update-cds-archive): an archive is code, and a user's would be code run by everyone.
wirt_cli_setup() {
  wirt_opts="$wirt_base_opts -Xshare:auto"
  if [ -f "$2" ] && [ "$2" -nt "$1" ] \
      && { [ -z "$wirt_libjvm" ] || [ "$2" -nt "$wirt_libjvm" ]; }; then
    wirt_opts="$wirt_opts -XX:SharedArchiveFile=$2"
  fi
}
