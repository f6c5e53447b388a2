package org.wirt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.wirt.testing.Await;
import org.wirt.testing.RealUsers.User;
import org.wirt.testing.RealUsers;
import org.wirt.testing.WirtdFixture;

/** Where inotify cannot help, the sweep still finds every command. */
@Tag("root")
class WatchTroubleTest {
  private static final Path MAX_WATCHES = Path.of("/proc/sys/fs/inotify/max_user_watches");

  @Test
  void whenNoWatchCanBeAddedTheSweepServesEveryone() throws Exception {
    String before = RealUsers.readSysctl(MAX_WATCHES);
    try (WirtdFixture h = new WirtdFixture()) {
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
    try (WirtdFixture h = new WirtdFixture()) {
      User alice = h.user();
      h.domain(alice.name() + "-web", alice, "web");
      h.start();
      Path tree = h.tree(alice);
      // Moved away rather than removed in place: the daemon repairs the skeleton as soon as it
      // sees it damaged, which would race a recursive rm.
      h.users.sh(alice, "mv '" + tree + "' '" + tree + ".gone' && mkdir -p '" + tree
          + "' && rm -rf '" + tree + ".gone'");
      Await.until("skeleton rebuilt", () -> java.nio.file.Files.isDirectory(tree.resolve("command/vm/web")));
      h.touch(alice, "web", "start");
      assertEquals("ok", h.awaitHistory(alice, 1).get("result").asText());
      // status.json is written after the history line: waited for, not raced.
      Await.until("status.json rebuilt",
          () -> java.nio.file.Files.isRegularFile(tree.resolve("info/vm/web/status.json")));
    }
  }

  @Test
  void aHomeMountedOverOrUnmountedIsPickedUpByTheSweep() throws Exception {
    try (WirtdFixture h = new WirtdFixture()) {
      User alice = h.user();
      h.domain(alice.name() + "-web", alice, "web");
      h.start();
      // Another file system with a command already in it, as if the home were an NFS mount that
      // was remounted: inotify never sees that file being written.
      Path other = java.nio.file.Files.createTempDirectory(RealUsers.BASE, "remote");
      RealUsers.root("chown", alice.name(), other.toString());
      h.users.sh(alice, "chmod 0700 '" + other + "' && mkdir -p '" + other
          + "/wirt/command/vm/web' && touch '" + other + "/wirt/command/vm/web/start'");
      RealUsers.root("mount", "--bind", other.toString(), alice.home().toString());
      try {
        assertEquals("ok", h.awaitHistory(alice, 1).get("result").asText());
        h.awaitState(alice, "web", "running");
      } finally {
        RealUsers.root("umount", alice.home().toString());
      }
      h.daemon().sweepNow();
      h.touch(alice, "web", "destroy");
      assertEquals("ok", h.awaitHistory(alice, 1).get("result").asText(),
          "served again on the original home");
      RealUsers.root("rm", "-rf", other.toString());
    }
  }
}
