package org.wirt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.wirt.hypervisor.DomainState;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.testing.Await;
import org.wirt.testing.RealUsers.User;
import org.wirt.testing.RealUsers;
import org.wirt.testing.WirtdFixture;

/**
 * A full home: the command still runs, nothing is left half written, the records are written once
 * there is room again, and other users are served meanwhile.
 */
@Tag("root")
class DiskFullTest {

  @Test
  void aFullHomeDelaysRecordsWithoutLosingOrTearingThem() throws Exception {
    try (WirtdFixture h = new WirtdFixture()) {
      User alice = h.users.createUser();
      RealUsers.root("mount", "-t", "tmpfs", "-o", "size=256k,mode=0700,uid=" + alice.uid()
          + ",gid=" + alice.gid(), "tmpfs", alice.home().toString());
      try {
        h.user(alice);
        User bob = h.user();
        ManagedDomain web = h.domain(alice.name() + "-web", alice, "web");
        h.domain(bob.name() + "-web", bob, "web");
        h.start();
        h.touch(alice, "web", "status");
        h.awaitHistory(alice, 1);

        h.users.sh(alice, "dd if=/dev/zero of='" + alice.home().resolve("filler")
            + "' bs=4k 2>/dev/null; true");
        h.touch(alice, "web", "start.full");
        Await.until("the start ran although the home is full",
            () -> state(h, web) == DomainState.RUNNING);
        h.touch(bob, "web", "start");
        assertEquals("ok", h.awaitHistory(bob, 1).get("result").asText(), "bob is served meanwhile");
        h.daemon().sweepNow();
        // Appends may still fit in the last page of a log; a new file cannot be written at all.
        assertTrue(!Files.exists(h.tree(alice).resolve("info/vm/web/results/full.json")));
        assertTrue(h.history(alice).size() <= 2, "no torn or repeated line");
        assertValidOrAbsent(h.tree(alice).resolve("info/vm/web/status.json"));
        assertNoTemporaryFiles(h.tree(alice));

        Files.delete(alice.home().resolve("filler"));
        h.daemon().sweepNow();
        JsonNode start = h.awaitHistory(alice, 2);
        assertEquals("start", start.get("verb").asText());
        assertEquals("ok", start.get("result").asText());
        Await.until("the tagged result written", () -> Files.exists(
            h.tree(alice).resolve("info/vm/web/results/full.json")));
        h.daemon().sweepNow();
        assertEquals(2, h.history(alice).size(), "written once");
        h.awaitState(alice, "web", "running");
        assertNoTemporaryFiles(h.tree(alice));
      } finally {
        RealUsers.root("umount", "-l", alice.home().toString());
      }
    }
  }

  private static DomainState state(WirtdFixture h, ManagedDomain d) {
    try {
      return h.hypervisor.status(d.uuid()).state();
    } catch (Exception e) {
      return DomainState.UNKNOWN;
    }
  }

  private static void assertValidOrAbsent(Path json) throws Exception {
    if (Files.exists(json)) {
      new ObjectMapper().readTree(json.toFile());
    }
  }

  private static void assertNoTemporaryFiles(Path tree) throws Exception {
    try (Stream<Path> files = Files.walk(tree)) {
      assertEquals(java.util.List.of(), files.filter(p -> p.getFileName().toString().startsWith("."))
          .toList());
    }
  }
}
