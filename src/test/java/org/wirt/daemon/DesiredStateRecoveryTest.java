package org.wirt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.journal.Journal;
import org.wirt.testing.Await;
import org.wirt.testing.RealUsers.User;
import org.wirt.testing.WirtdFixture;

/**
 * A command settings.json queued, claimed in the journal and interrupted by a crash: the next
 * wirtd reconciles it like any claim (once), says where it came from, leaves the user's file, and
 * queues nothing more for a VM that now matches.
 */
@Tag("root")
class DesiredStateRecoveryTest {

  @Test
  void anInterruptedStartFromSettingsIsReconciledOnceAndTheFileStays() throws Exception {
    try (WirtdFixture h = new WirtdFixture()) {
      User alice = h.user();
      ManagedDomain web = h.domain(alice.name() + "-web", alice, "web");
      h.command(alice, "web", "settings.json", "{\"state\": \"running\"}");
      // What a wirtd killed right after claiming the start wrote, and nothing after it.
      try (Journal journal = Journal.open(h.stateDir)) {
        journal.claim(alice.name(), alice.uid(), "web", web.name(), web.uuid().toString(),
            "start", null, "settings.json", 0, 0, new byte[0], "2026-12-04T01:00:00Z");
      }
      h.start();

      JsonNode line = h.awaitHistory(alice, 1);
      assertEquals("start", line.get("verb").asText(), line.toString());
      assertEquals("interrupted", line.get("result").asText(), line.toString());
      assertTrue(line.get("message").asText().startsWith("command/vm/web/settings.json: "),
          line.toString());
      h.awaitState(alice, "web", "running");
      Path file = h.tree(alice).resolve("command/vm/web/settings.json");
      assertEquals("{\"state\": \"running\"}", Files.readString(file), "the user's file stays");

      for (int i = 0; i < 3; i++) {
        h.daemon().sweepNow();
        h.daemon().settingsSweepNow();
      }
      h.touch(alice, "web", "status");
      List<JsonNode> lines = Await.value("the status line", Await.DEFAULT_TIMEOUT,
          () -> h.history(alice), l -> l.size() >= 2);
      assertEquals(2, lines.size(), lines.toString());
      assertEquals("status", lines.get(1).get("verb").asText(), "the start ran once: "
          + lines);
    }
  }
}
