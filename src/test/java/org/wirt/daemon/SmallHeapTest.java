package org.wirt.daemon;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.wirt.testing.RealUsers;
import org.wirt.testing.RealUsers.User;

/**
 * The real wirtd, in a JVM of its own with a 64 MiB heap, serves a user who grew their logs to
 * 4 GiB (sparse) and 300 MiB (real bytes), and another user, before and after a restart over the
 * same homes. The commands are refused (no domain is theirs on {@code test:///default}), which is
 * recorded in the same logs. On the old code the first rotation read the 4 GiB log into the heap:
 * the worker died of OutOfMemoryError and nothing more of that VM was recorded.
 */
@Tag("root")
class SmallHeapTest {
  private static final Duration DEADLINE = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void wirtdWithA64MibHeapServesEveryoneWhateverTheLogsHold() throws Exception {
    Path dir = Files.createTempDirectory("wirt-small-heap");
    try (RealUsers users = RealUsers.create()) {
      Process[] running = new Process[1];
      try {
        run(users, dir, running);
      } finally {
        // Before the users go: a running wirtd would make their trees again.
        if (running[0] != null) {
          running[0].destroyForcibly();
          running[0].waitFor(30, TimeUnit.SECONDS);
        }
      }
    } finally {
      RealUsers.root("rm", "-rf", dir.toString());
    }
  }

  /** The test itself; {@code running} holds the wirtd process to stop whatever happens. */
  private void run(RealUsers users, Path dir, Process[] running) throws Exception {
    User mallory = users.createUser();
    User bob = users.createUser();
    for (User u : List.of(mallory, bob)) {
      users.run(u, "mkdir", "-p", u.home().resolve("wirt/logs/vm").toString());
    }
    Path logs = mallory.home().resolve("wirt/logs");
    grow(users, mallory, logs);
    Path config = dir.resolve("wirt.json");
    Files.writeString(config, """
        {"libvirtUri": "test:///default", "stateDir": "%s", "logDir": "%s",
         "sweepIntervalSeconds": 2, "workers": 2, "mail": {"enabled": false},
         "users": {"%s": "%s", "%s": "%s"}}
        """.formatted(dir.resolve("state"), dir.resolve("log"), mallory.name(), mallory.home(),
        bob.name(), bob.home()));

    Path out = dir.resolve("wirtd-1.out");
    Process wirtd = start(config, out);
    running[0] = wirtd;
    served(users, mallory, "web", "t1", out);
    served(users, mallory, "db", "t2", out);
    served(users, bob, "web", "t1", out);
    String history = Files.readString(logs.resolve("history.log"), UTF_8);
    assertTrue(history.length() < 1 << 20, "history is small again: " + history.length());
    assertEquals("discarded", JSON.readTree(history.lines().findFirst().orElseThrow())
        .path("note").asText(), history);
    assertTrue(firstLine(logs.resolve("vm/web.log")).contains("wirt discarded 4294967296 bytes"));
    assertTrue(firstLine(logs.resolve("vm/db.log")).contains("wirt discarded 314572800 bytes"));
    assertTrue(wirtd.isAlive(), read(out));

    wirtd.destroy();
    assertTrue(wirtd.waitFor(30, TimeUnit.SECONDS));
    grow(users, mallory, logs);
    users.run(mallory, "touch", mallory.home().resolve("wirt/command/vm/web/status.t3").toString());
    out = dir.resolve("wirtd-2.out");
    wirtd = start(config, out);
    running[0] = wirtd;
    await(() -> Files.exists(result(mallory, "web", "t3")), "mallory's t3 after the restart", out);
    served(users, mallory, "db", "t4", out);
    served(users, bob, "web", "t2", out);
    assertTrue(wirtd.isAlive(), read(out));
    assertTrue(!read(out).contains("OutOfMemoryError"), read(out));
  }

  /** As mallory: the VM logs and history sparse to 4 GiB, the db log 300 MiB of real bytes. */
  private static void grow(RealUsers users, User mallory, Path logs) throws IOException {
    users.sh(mallory, "set -e; cd '" + logs + "'; truncate -s 4G history.log vm/web.log;"
        + " head -c 300M /dev/zero > vm/db.log");
  }

  private static Process start(Path config, Path out) throws Exception {
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx64m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
        "org.wirt.Main", "wirtd", "--config", config.toString())
        .redirectErrorStream(true).redirectOutput(out.toFile()).start();
    await(() -> read(out).contains("wirtd started") || !p.isAlive(), "wirtd started", out);
    assertTrue(p.isAlive(), read(out));
    return p;
  }

  private static void served(RealUsers users, User u, String vm, String tag, Path out)
      throws Exception {
    Path vmDir = u.home().resolve("wirt/command/vm").resolve(vm);
    users.sh(u, "mkdir -p '" + vmDir + "' && touch '" + vmDir + "/status." + tag + "'");
    await(() -> Files.exists(result(u, vm, tag)), u.name() + "'s " + vm + "/status." + tag, out);
  }

  private static Path result(User u, String vm, String tag) {
    return u.home().resolve("wirt/info/vm").resolve(vm).resolve("results").resolve(tag + ".json");
  }

  private static String firstLine(Path file) throws IOException {
    try (var lines = Files.lines(file, UTF_8)) {
      return lines.findFirst().orElse("");
    }
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file, UTF_8) : "";
    } catch (IOException e) {
      return "";
    }
  }

  private static void await(BooleanSupplier condition, String what, Path out)
      throws InterruptedException {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what + "\n" + read(out));
      }
      Thread.sleep(20);
    }
  }
}
