package org.wirt.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.LongStream;
import org.wirt.config.ConsoleConfig;
import org.wirt.console.ConsoleServer;
import org.wirt.testing.Await;
import org.wirt.testing.Libvirtd;
import org.wirt.testing.RealUsers;
import org.wirt.testing.RealUsers.User;
import org.wirt.testing.TestGuest;

/**
 * Keystroke round trips through wirtd's console relay and through {@code virsh console}, on the
 * same running test guest in one run (Bench's {@code console} measure, docs/BENCHMARKS.md
 * "Console"). The relay is the production one ({@link ConsoleServer}, its sessions and the native
 * stream), serving a real user who types with {@code scripts/console-rtt.py}; virsh runs the same
 * script under a pseudo-terminal, as root. Needs root, libvirtd with QEMU and the test guest of
 * {@code scripts/test-env.sh}, and python3.
 */
final class ConsoleBench {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** How long the guest may take to boot to its shell under QEMU's emulation. */
  private static final Duration BOOT = Duration.ofSeconds(90);
  /** The typing script, relative to the project (the working directory of {@code make bench}). */
  private static final Path SCRIPT = Path.of("scripts/console-rtt.py");
  /** Runs per path, alternating, so that neither has the warm caches alone. */
  static final int ROUNDS = 2;

  /** The round trips of both paths, in nanoseconds, sorted. */
  record Result(int keystrokes, long[] relay, long[] virsh) {}

  private ConsoleBench() {}

  /** Boots a test guest, types {@code keystrokes} keys per run on each path, and removes it. */
  static Result run(int keystrokes) throws Exception {
    TestGuest.requireBuilt();
    Libvirtd.connect().close();
    String domain = "wirt-bench-console-" + UUID.randomUUID().toString().substring(0, 8);
    Path base = Files.createTempDirectory("wirt-bench-console");
    // The user reads the script here: the checkout may be out of their reach.
    Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path script = Files.copy(SCRIPT, base.resolve("console-rtt.py"),
        StandardCopyOption.REPLACE_EXISTING);
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path log = TestGuest.SERIAL_DIR.resolve(domain + ".console.log");
    Path xml = base.resolve("domain.xml");
    Files.writeString(xml, TestGuest.consoleDomainXml(domain, log, Optional.empty()));
    long[][] relay = new long[ROUNDS][];
    long[][] virsh = new long[ROUNDS][];
    try (RealUsers users = RealUsers.create()) {
      User user = users.createUser();
      RealUsers.root("virsh", "-c", Libvirtd.URI, "define", xml.toString());
      RealUsers.root("virsh", "-c", Libvirtd.URI, "start", domain);
      UUID uuid = UUID.fromString(RealUsers.root("virsh", "-c", Libvirtd.URI, "domuuid", domain)
          .stdout().strip());
      Await.until("the guest's shell on its serial console (" + log + ")", BOOT,
          () -> Files.readString(log).contains("shell on ttyS0"));
      ConsoleConfig config = new ConsoleConfig(base.resolve("run"), Duration.ofMinutes(10),
          Duration.ofMinutes(60), 4, base.resolve("logs"), Duration.ofSeconds(3));
      try (ConsoleServer server = new ConsoleServer(config, Libvirtd.URI,
          (u, vm) -> Optional.of(new ConsoleServer.Target(uuid, domain)),
          (u, vm, event, message) -> { }, Clock.systemUTC())) {
        server.serve(user.identity());
        Path socket = base.resolve("run").resolve(user.name()).resolve(ConsoleServer.SOCKET);
        for (int round = 0; round < ROUNDS; round++) {
          relay[round] = samples(users.run(user, "python3", script.toString(), "wirt",
              socket.toString(), "web", Integer.toString(keystrokes)).stdout());
          outliers("relay", round, relay[round]);
          // virsh gets the console only once the relay's session has let it go.
          Await.until("the relay's console closed", () -> server.open() == 0);
          virsh[round] = samples(RealUsers.root("python3", script.toString(), "virsh",
              Libvirtd.URI, domain, Integer.toString(keystrokes)).stdout());
          outliers("virsh", round, virsh[round]);
        }
      }
    } finally {
      RealUsers.attemptAsRoot("virsh", "-c", Libvirtd.URI, "destroy", domain);
      RealUsers.attemptAsRoot("virsh", "-c", Libvirtd.URI, "undefine", domain);
      RealUsers.root("rm", "-rf", base.toString(), log.toString());
    }
    return new Result(keystrokes, sorted(relay), sorted(virsh));
  }

  /** Says on stderr which keystrokes of a round took over 100 ms, so that a tail can be read. */
  private static void outliers(String path, int round, long[] nanos) {
    StringBuilder slow = new StringBuilder();
    for (int i = 0; i < nanos.length; i++) {
      if (nanos[i] > 100_000_000L) {
        slow.append(' ').append(i).append(':').append(nanos[i] / 1_000_000).append("ms");
      }
    }
    if (slow.length() > 0) {
      System.err.println("console " + path + " round " + round + ", keystrokes over 100 ms"
          + " (index:time):" + slow);
    }
  }

  /** The round trips the script measured, in nanoseconds. */
  static long[] samples(String scriptOutput) throws IOException {
    JsonNode doc = JSON.readTree(scriptOutput.strip());
    JsonNode ms = doc.path("ms");
    if (!ms.isArray() || ms.isEmpty()) {
      throw new IOException("console-rtt.py gave no samples: " + scriptOutput);
    }
    long[] nanos = new long[ms.size()];
    for (int i = 0; i < nanos.length; i++) {
      nanos[i] = Math.round(ms.get(i).asDouble() * 1e6);
    }
    return nanos;
  }

  private static long[] sorted(long[][] runs) {
    long[] all = Arrays.stream(runs).flatMapToLong(LongStream::of).toArray();
    Arrays.sort(all);
    return all;
  }
}
