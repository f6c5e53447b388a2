package org.wirt.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.wirt.testing.MutableClock;
import org.wirt.testing.RealUsers;
import org.wirt.tree.HomeTree;

/** The heartbeat in a real user's tree: written once, then only its time refreshed. */
class HeartbeatTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final FileTime LONG_AGO = FileTime.fromMillis(1000);

  private static RealUsers users;
  private static RealUsers.User alice;

  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-23T10:00:00Z"));
  private Heartbeat heartbeat;
  private org.wirt.posix.Inotify inotify;
  private org.wirt.watch.Watcher watcher;
  private HomeTree tree;
  private Path file;

  @BeforeAll
  static void createUser() throws IOException {
    users = RealUsers.create();
    alice = users.createUser();
  }

  @AfterAll
  static void deleteUser() throws IOException {
    users.close();
  }

  @BeforeEach
  void freshTree() throws IOException {
    Path root = alice.home().resolve("wirt");
    RealUsers.root("rm", "-rf", root.toString());
    users.run(alice, "mkdir", "-m", "0700", root.toString());
    tree = new HomeTree(alice.identity(), alice.home(), "wirt", clock);
    tree.ensureSkeleton(List.of());
    inotify = org.wirt.posix.Inotify.open();
    watcher = new org.wirt.watch.Watcher(inotify, new org.wirt.watch.WatchListener() {
      @Override
      public void vmDirectoriesChanged(String user) {}

      @Override
      public void entryArrived(org.wirt.queue.VmKey key, org.wirt.tree.EntryName name,
          boolean complete) {}

      @Override
      public void overflow() {}
    }, 2);
    heartbeat = new Heartbeat(clock, Duration.ofSeconds(10), watcher);
    file = root.resolve(Heartbeat.FILE);
  }

  private Object inode() throws IOException {
    return Files.getAttribute(file, "unix:ino");
  }

  @org.junit.jupiter.api.AfterEach
  void closeInotify() {
    inotify.close();
  }

  @Test
  void aUserWithMoreVmDirectoriesThanTheWatchCapIsToldTheyAreSwept() throws Exception {
    tree.ensureSkeleton(List.of("a", "b", "c"));
    watcher.watch(tree, List.of("a", "b"));
    heartbeat.beat(tree, false, false);
    JsonNode watched = JSON.readTree(file.toFile());
    assertTrue(watched.path("watched").asBoolean());
    assertFalse(watched.has("watchNote"));

    watcher.watch(tree, List.of("a", "b", "c"));
    assertEquals(2, watcher.watchCount() - 1, "command/vm and two VM directories, no more");
    assertFalse(watcher.watches(alice.name(), "c"));
    // Not due by time: the changed watch mode alone makes the beat rewrite the file.
    clock.advance(Duration.ofSeconds(1));
    heartbeat.beat(tree, false, false);
    JsonNode swept = JSON.readTree(file.toFile());
    assertFalse(swept.path("watched").asBoolean());
    assertEquals(10, swept.path("sweptEverySeconds").asInt());
    assertEquals("1 of your VM directories are swept every 10 s instead of watched because you"
        + " have more than 2 VM directories (limits.watchesPerUser); your own VMs are watched"
        + " first; remove directories of command/vm/ you do not need",
        swept.path("watchNote").asText());
  }

  @Test
  void overTheCapTheDirectoriesFirstInOrderTakeTheWatchesFromTheOthers() throws Exception {
    tree.ensureSkeleton(List.of("a", "b", "own"));
    watcher.watch(tree, List.of("a", "b"));
    assertTrue(watcher.watches(alice.name(), "b"));
    // "own" became the user's VM: listed first, it takes b's watch.
    watcher.watch(tree, List.of("own", "a", "b"));
    assertTrue(watcher.watches(alice.name(), "own"));
    assertTrue(watcher.watches(alice.name(), "a"));
    assertFalse(watcher.watches(alice.name(), "b"));
    assertEquals(1 + 2, watcher.watchCount());
    assertEquals(1, watcher.unwatchedOverCap(alice.name()));
  }

  @Test
  void aDueBeatRefreshesTheTimeOfTheSameFile() throws Exception {
    heartbeat.beat(tree, false, false);
    JsonNode first = JSON.readTree(file.toFile());
    assertTrue(first.path("running").asBoolean());
    assertEquals(2 * (60 + 10) + 5, first.path("staleAfterSeconds").asInt());
    Object inode = inode();
    Files.setLastModifiedTime(file, LONG_AGO);

    clock.advance(Duration.ofSeconds(59));
    heartbeat.beat(tree, false, false);
    assertEquals(LONG_AGO, Files.getLastModifiedTime(file), "not due yet: untouched");

    clock.advance(Duration.ofSeconds(1));
    heartbeat.beat(tree, false, false);
    assertTrue(Files.getLastModifiedTime(file).compareTo(LONG_AGO) > 0, "due: touched");
    assertEquals(inode, inode(), "the same file: no new inode");
    assertEquals(first, JSON.readTree(file.toFile()));
  }

  @Test
  void aMissingFileIsWrittenAgainAndAChangeOfStateRewritesIt() throws Exception {
    heartbeat.beat(tree, false, false);
    Files.delete(file);
    clock.advance(Duration.ofSeconds(60));
    heartbeat.beat(tree, false, false);
    assertTrue(JSON.readTree(file.toFile()).path("running").asBoolean(), "written again");

    heartbeat.beat(tree, true, true);
    assertTrue(JSON.readTree(file.toFile()).path("draining").asBoolean(), "forced: rewritten at once");

    heartbeat.stopped(List.of(tree));
    assertFalse(JSON.readTree(file.toFile()).path("running").asBoolean());
  }
}
