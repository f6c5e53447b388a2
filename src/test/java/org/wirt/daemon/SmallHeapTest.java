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
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.wirt.testing.RealUsers;
import org.wirt.testing.RealUsers.User;
import org.wirt.testing.WirtdFixture;
import org.wirt.testing.WirtdProcess;

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
  private static final List<String> HEAP = List.of("-Xmx64m", "-XX:+UseSerialGC");
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void wirtdWithA64MibHeapServesEveryoneWhateverTheLogsHold() throws Exception {
    try (WirtdFixture h = new WirtdFixture("test:///default", "\"mail\": {\"enabled\": false},")) {
      User mallory = h.user();
      User bob = h.user();
      for (User u : List.of(mallory, bob)) {
        h.users.run(u, "mkdir", "-p", u.home().resolve("wirt/logs/vm").toString());
      }
      Path logs = mallory.home().resolve("wirt/logs");
      grow(h.users, mallory, logs);

      WirtdProcess wirtd = h.launch(HEAP, Map.of());
      served(h, wirtd, mallory, "web", "t1");
      served(h, wirtd, mallory, "db", "t2");
      served(h, wirtd, bob, "web", "t1");
      String history = Files.readString(logs.resolve("history.log"), UTF_8);
      assertTrue(history.length() < 1 << 20, "history is small again: " + history.length());
      assertEquals("discarded", JSON.readTree(history.lines().findFirst().orElseThrow())
          .path("note").asText(), history);
      assertTrue(firstLine(logs.resolve("vm/web.log")).contains("wirt discarded 4294967296 bytes"));
      assertTrue(firstLine(logs.resolve("vm/db.log")).contains("wirt discarded 314572800 bytes"));
      assertTrue(wirtd.isAlive(), wirtd.output());

      assertTrue(wirtd.stop());
      grow(h.users, mallory, logs);
      h.users.run(mallory, "touch", mallory.home().resolve("wirt/command/vm/web/status.t3").toString());
      wirtd = h.launch(HEAP, Map.of());
      wirtd.await("mallory's t3 after the restart", DEADLINE,
          () -> Files.exists(h.result(mallory, "web", "t3")));
      served(h, wirtd, mallory, "db", "t4");
      served(h, wirtd, bob, "web", "t2");
      assertTrue(wirtd.isAlive(), wirtd.output());
      assertTrue(!wirtd.output().contains("OutOfMemoryError"), wirtd.output());
    }
  }

  /** As mallory: the VM logs and history sparse to 4 GiB, the db log 300 MiB of real bytes. */
  private static void grow(RealUsers users, User mallory, Path logs) throws IOException {
    users.sh(mallory, "set -e; cd '" + logs + "'; truncate -s 4G history.log vm/web.log;"
        + " head -c 300M /dev/zero > vm/db.log");
  }

  private static void served(WirtdFixture h, WirtdProcess wirtd, User u, String vm, String tag)
      throws Exception {
    Path vmDir = u.home().resolve("wirt/command/vm").resolve(vm);
    h.users.sh(u, "mkdir -p '" + vmDir + "' && touch '" + vmDir + "/status." + tag + "'");
    wirtd.await(u.name() + "'s " + vm + "/status." + tag, DEADLINE,
        () -> Files.exists(h.result(u, vm, tag)));
  }

  private static String firstLine(Path file) throws IOException {
    try (var lines = Files.lines(file, UTF_8)) {
      return lines.findFirst().orElse("");
    }
  }
}
