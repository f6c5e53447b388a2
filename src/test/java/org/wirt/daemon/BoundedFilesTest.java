package org.wirt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.wirt.hypervisor.Hypervisor;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.journal.Journal;
import org.wirt.status.Json;
import org.wirt.status.Outcome;
import org.wirt.status.Result;
import org.wirt.testing.Await;
import org.wirt.testing.RealUsers.User;
import org.wirt.testing.WirtdFixture;

/**
 * Issue 12, attack 3: one member makes the files wirtd appends to or lists as large as they like
 * (a sparse 4 GiB {@code history.log} costs them no disk). wirtd serves their next command and
 * records it, never reads the file (its access time, set far in the past, would move), serves
 * another user, and a restart, with a journal entry whose records are still to be written into
 * that file, serves everyone. On the old code the rotation read the whole file into the heap: the
 * worker died of OutOfMemoryError and its VM was never released.
 */
@Tag("root")
class BoundedFilesTest {
  private static final FileTime LONG_AGO = FileTime.fromMillis(1000);

  private WirtdFixture h;
  private User mallory;
  private User bob;
  private ManagedDomain mallorysWeb;

  /** The harness's libvirt, which a daemon's close leaves open, so that a second daemon can start. */
  private Hypervisor shared() {
    return (Hypervisor) Proxy.newProxyInstance(Hypervisor.class.getClassLoader(),
        new Class<?>[] {Hypervisor.class}, (proxy, method, args) -> {
          if (method.getName().equals("close")) {
            return null;
          }
          try {
            return method.invoke(h.hypervisor, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  @BeforeEach
  void users() throws Exception {
    h = new WirtdFixture();
    mallory = h.user();
    bob = h.user();
    mallorysWeb = h.domain(mallory.name() + "-web", mallory, "web");
    h.domain(bob.name() + "-web", bob, "web");
  }

  @AfterEach
  void stop() throws Exception {
    h.close();
    h.hypervisor.close();
  }

  private void startDaemon() throws Exception {
    h.start(hv -> shared());
    h.daemon().sweepNow();
  }

  private Path logs(String rel) {
    return h.tree(mallory).resolve("logs").resolve(rel);
  }

  private Path result(String tag) {
    return h.tree(mallory).resolve("info/vm/web/results").resolve(tag + ".json");
  }

  /** Writes {@code status.<tag>} as mallory and waits for its result, without reading her logs. */
  private void served(String tag) throws Exception {
    h.touch(mallory, "web", "status." + tag);
    awaitResult(tag);
  }

  private void awaitResult(String tag) throws Exception {
    // Files.exists reads no log: the access times stay as they were.
    Await.until("result " + tag + " of " + mallory.name(), () -> Files.exists(result(tag)));
  }

  private void markUnread(Path... files) throws Exception {
    for (Path f : files) {
      Files.setAttribute(f, "lastAccessTime", LONG_AGO, LinkOption.NOFOLLOW_LINKS);
    }
  }

  private void assertUnread(Path... files) throws Exception {
    for (Path f : files) {
      assertEquals(LONG_AGO, Files.getAttribute(f, "lastAccessTime", LinkOption.NOFOLLOW_LINKS),
          f + " was read");
    }
  }

  private void assertBobServed() throws Exception {
    int before = h.history(bob).size();
    h.touch(bob, "web", "status");
    JsonNode line = h.awaitHistory(bob, before + 1);
    assertEquals("ok", line.get("result").asText(), line.toString());
  }

  private void assertDiscardNote(JsonNode line, long bytes) {
    assertEquals("discarded", line.path("note").asText(), line.toString());
    assertTrue(line.path("message").asText().startsWith("wirt discarded " + bytes + " bytes of ~"
        + mallory.name() + "/wirt/logs/history.log, which it did not write: "), line.toString());
  }

  @Test
  void sparseFourGibibyteLogsCostNothingAndARestartServesEveryone() throws Exception {
    startDaemon();
    served("t1");
    Path history = logs("history.log");
    Path vmLog = logs("vm/web.log");
    h.users.sh(mallory, "truncate -s 4G '" + history + "' '" + vmLog + "'");
    markUnread(history, vmLog);

    served("t2");
    assertUnread(history, vmLog);
    List<JsonNode> lines = h.history(mallory);
    assertEquals(2, lines.size(), lines.toString());
    assertDiscardNote(lines.get(0), 4L << 30);
    assertEquals("t2", lines.get(1).get("tag").asText());
    assertEquals("ok", lines.get(1).get("result").asText());
    List<String> vmLines = Files.readAllLines(vmLog);
    assertEquals(2, vmLines.size(), vmLines.toString());
    assertTrue(vmLines.get(0).contains(" wirt discarded 4294967296 bytes of ~" + mallory.name()
        + "/wirt/logs/vm/web.log, which it did not write: it is sparse"), vmLines.get(0));
    assertTrue(vmLines.get(1).contains("status.t2 ok"), vmLines.get(1));
    assertBobServed();

    // The restart: mallory grows both logs again, and the journal holds a finished command whose
    // records are still to be written, so Recovery appends to the sparse history first.
    h.daemon().close();
    h.users.sh(mallory, "truncate -s 4G '" + history + "' '" + vmLog + "'");
    markUnread(history, vmLog);
    try (Journal journal = Journal.open(h.stateDir)) {
      Journal.Claim c = journal.claim(mallory.name(), mallory.uid(), "web", mallorysWeb.name(),
          mallorysWeb.uuid().toString(), "status", "t3", "status.t3", 1, 1, new byte[0],
          Instant.now().toString());
      journal.done(c.id(), Json.outcome(new Outcome(Instant.now(), mallory.name(), "web",
          mallorysWeb.name(), "status", "t3", Result.OK, "recovered after the restart", 3)));
    }
    h.touch(mallory, "web", "status.t4");
    startDaemon();
    awaitResult("t3");
    awaitResult("t4");
    assertUnread(history, vmLog);
    lines = h.history(mallory);
    assertDiscardNote(lines.get(0), 4L << 30);
    assertEquals(List.of("t3", "t4"), lines.subList(1, lines.size()).stream()
        .map(l -> l.get("tag").asText()).toList(), lines.toString());
    assertEquals("recovered after the restart", lines.get(1).get("message").asText());
    assertBobServed();
  }

  @Test
  void anOversizedLogOfRealBytesIsDiscardedUnread() throws Exception {
    startDaemon();
    served("t1");
    Path history = logs("history.log");
    h.users.sh(mallory, "head -c 300M /dev/zero > '" + history + "'");
    assertEquals(300L << 20, Files.size(history));
    markUnread(history);

    served("t2");
    assertUnread(history);
    List<JsonNode> lines = h.history(mallory);
    assertEquals(2, lines.size(), lines.toString());
    assertDiscardNote(lines.get(0), 300L << 20);
    assertEquals("t2", lines.get(1).get("tag").asText());
    assertBobServed();
  }

  /** More than one pass looks at (HomeTreeBoundsTest has 100,000 and 20,000: slow to make). */
  @Test
  void manyResultsAndVmDirectoriesAreHandledPiecemeal() throws Exception {
    Path tree = h.tree(mallory);
    h.users.sh(mallory, "set -e; mkdir -p '" + tree + "/info/vm/web/results' '" + tree
        + "/command/vm'; cd '" + tree + "/info/vm/web/results';"
        + " seq -f 'old%06g.json' 1 20000 | xargs touch -d @1000000000;"
        + " cd '" + tree + "/command/vm'; seq -f 'd%05g' 1 5000 | xargs mkdir");
    startDaemon();
    Path results = result("t1").getParent();
    served("t1");
    // The result is written before the directory is pruned; the command counts as running until
    // all its records are written, pruning included.
    Await.until("t1 recorded", () -> h.daemon().running() == 0);
    int left = count(results);
    assertTrue(left >= 20_001 - org.wirt.tree.HomeTree.MAX_PRUNE_INSPECTED,
        "one result written, one bounded pruning pass: " + left + " left");
    served("t2");
    Await.until("results pruned again", () -> count(results) < left);
    assertTrue(Files.exists(result("t1")) && Files.exists(result("t2")), "the newest are kept");
    // HomeTreeBoundsTest shows that the passes end with the newest 100.
    // The admin's view of the queue lists a bounded part of command/vm.
    assertTrue(h.daemon().queue(java.util.Optional.of(mallory.name())).size() <= 1);
    assertBobServed();
  }

  private static int count(Path dir) {
    try (var s = Files.list(dir)) {
      return (int) s.count();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
