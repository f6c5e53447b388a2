package org.wirt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.wirt.testing.RealUsers;
import org.wirt.testing.RealUsers.User;

/** Where inotify cannot help, the sweep still finds every command. */
@Tag("root")
class WatchTroubleTest {
  private static final Path MAX_WATCHES = Path.of("/proc/sys/fs/inotify/max_user_watches");

  @Test
  void whenNoWatchCanBeAddedTheSweepServesEveryone() throws Exception {
    String before = RealUsers.readSysctl(MAX_WATCHES);
    try (Harness h = new Harness()) {
      User alice = h.user();
      h.domain(alice.name() + "-web", alice, "web");
      // Root's other watches already exceed 1, so no watch at all can be added now.
      RealUsers.writeSysctl(MAX_WATCHES, "1");
      try {
        h.start();
      } finally {
        RealUsers.writeSysctl(MAX_WATCHES, before);
      }
      h.touch(alice, "web", "start");
      assertEquals("ok", h.awaitHistory(alice, 1).get("result").asText(),
          "picked up by the sweep (every 2 s here)");
      h.touch(alice, "web", "destroy");
      assertEquals("ok", h.awaitHistory(alice, 2).get("result").asText());
    } finally {
      RealUsers.writeSysctl(MAX_WATCHES, before);
    }
  }

  @Test
  void aDeletedAndRecreatedTreeIsWatchedAgain() throws Exception {
    try (Harness h = new Harness()) {
      User alice = h.user();
      h.domain(alice.name() + "-web", alice, "web");
      h.start();
      Path tree = h.tree(alice);
      h.users.sh(alice, "rm -rf '" + tree + "' && mkdir '" + tree + "'");
      h.await("skeleton rebuilt", () -> java.nio.file.Files.isDirectory(tree.resolve("command/vm/web")));
      h.touch(alice, "web", "start");
      assertEquals("ok", h.awaitHistory(alice, 1).get("result").asText());
      assertTrue(java.nio.file.Files.isRegularFile(tree.resolve("info/vm/web/status.json")));
    }
  }
}
