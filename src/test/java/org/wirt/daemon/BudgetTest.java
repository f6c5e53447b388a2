package org.wirt.daemon;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.wirt.testing.Await;
import org.wirt.testing.RealUsers.User;
import org.wirt.testing.WirtdFixture;

/**
 * Per-user budgets (SPEC 8, issue 12), attacked for real by real users: records that can never be
 * written, a flood of refusals, more VM directories than watches.
 */
@Tag("root")
class BudgetTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void aHardLinkedHistoryFillsTheUsersBudgetThenOnlyTheirNewCommandsAreRefused() throws Exception {
    try (WirtdFixture h = new WirtdFixture("test:///default",
        "\"limits\": {\"pendingRecords\": 3, \"recordAttempts\": 100000},")) {
      User alice = h.user();
      User bob = h.user();
      h.domain(alice.name() + "-web", alice, "web");
      h.domain(bob.name() + "-web", bob, "web");
      h.start();
      h.touch(alice, "web", "status.first");
      h.awaitHistory(alice, 1);
      Path history = h.tree(alice).resolve("logs/history.log");
      // A second link: wirtd refuses to append to it (it could be a file the user may not write).
      h.users.sh(alice, "ln '" + history + "' '" + alice.home().resolve("keep") + "'");

      for (int i = 1; i <= 3; i++) {
        h.touch(alice, "web", "status.p" + i);
        int n = i;
        Await.until("command " + i + " ran", () -> auditCount(h, alice, "\"tag\":\"p" + n) == 1);
      }
      assertEquals(3, openJournalEntries(h), "each waits for its history line, journaled");
      h.touch(alice, "web", "status.over");
      Await.until("refused", () -> auditCount(h, alice, "\"tag\":\"over\"") == 1);
      JsonNode refusal = auditLines(h, alice, "\"tag\":\"over\"").get(0);
      assertEquals("rejected", refusal.get("result").asText());
      assertEquals("command/vm/web/status.over: you have 3 commands whose records wirt cannot"
          + " write to " + history + " (~" + alice.name() + "/wirt/logs/history.log has 2 hard"
          + " links", refusal.get("message").asText().substring(0,
              refusal.get("message").asText().indexOf(" links") + 6));
      assertTrue(refusal.get("message").asText().contains("new commands are refused while 3 or"
          + " more wait or they hold 1048576 bytes or more (limits.pendingRecords,"
          + " limits.pendingRecordBytes); fix that: make each a regular file you own with one"
          + " link, or remove it"), refusal.get("message").asText());
      // The audit line comes first; the VM log line follows it.
      Await.until("told where it can be: the VM log", () -> {
        try {
          return Files.readString(h.tree(alice).resolve("logs/vm/web.log"))
              .contains("you have 3 commands whose records wirt cannot write");
        } catch (IOException e) {
          return false;
        }
      });
      assertEquals(3, openJournalEntries(h), "the refusal ran nothing and is not kept");

      h.touch(bob, "web", "start");
      assertEquals("ok", h.awaitHistory(bob, 1).get("result").asText(), "bob is not limited");

      // Fixed: the waiting records are written at the next sweep, and commands are taken again.
      Files.delete(alice.home().resolve("keep"));
      h.daemon().sweepNow();
      assertEquals(List.of("first", "p1", "p2", "p3"),
          h.history(alice).stream().map(l -> l.get("tag").asText()).toList());
      assertEquals(0, openJournalEntries(h));
      List<JsonNode> dropped = auditLines(h, alice, "\"event\":\"refusal-records-dropped\"");
      assertEquals(1, dropped.size(), "the refusal's history line, not kept, is counted once");
      assertTrue(dropped.get(0).get("message").asText().startsWith("1 refusal record not kept"));
      h.touch(alice, "web", "status.after");
      assertEquals("after", h.awaitHistory(alice, 5).get("tag").asText());
    }
  }

  @Test
  void theBudgetInBytesStopsAUserWhoseRecordsAreLargeBeforeTheCount() throws Exception {
    try (WirtdFixture h = new WirtdFixture("test:///default", "\"limits\": {\"pendingRecords\": 1000,"
        + " \"pendingRecordBytes\": 4096, \"recordAttempts\": 100000},")) {
      User alice = h.user();
      h.domain(alice.name() + "-web", alice, "web");
      h.start();
      h.touch(alice, "web", "status.first");
      h.awaitHistory(alice, 1);
      Path history = h.tree(alice).resolve("logs/history.log");
      h.users.sh(alice, "ln '" + history + "' '" + alice.home().resolve("keep") + "'");
      int ran = 0;
      for (int i = 1; ran == i - 1 && i <= 100; i++) {
        h.touch(alice, "web", "status.b" + i);
        String tag = "\"tag\":\"b" + i + "\"";
        Await.until("command " + i, () -> auditCount(h, alice, tag) == 1);
        if (auditLines(h, alice, tag).get(0).get("result").asText().equals("ok")) {
          ran++;
        }
      }
      // Each waiting record costs its outcome line (a few hundred bytes): 4 KiB hold a handful.
      assertTrue(ran >= 4 && ran < 100, ran + " ran before the refusal");
      assertEquals(ran, openJournalEntries(h));
    }
  }

  @Test
  void aRecordThatCanNeverBeWrittenIsGivenUpSaidSoAndLeavesTheJournal() throws Exception {
    try (WirtdFixture h = new WirtdFixture("test:///default", "\"limits\": {\"recordAttempts\": 2},")) {
      User alice = h.user();
      h.domain(alice.name() + "-web", alice, "web");
      h.start();
      Path history = h.tree(alice).resolve("logs/history.log");
      h.users.sh(alice, "rm -f '" + history + "' && mkdir '" + history + "'");
      h.touch(alice, "web", "status.lost");
      Await.until("ran", () -> auditCount(h, alice, "\"tag\":\"lost\"") == 1);
      assertEquals(1, openJournalEntries(h));
      for (int i = 0; i < 3; i++) {
        h.daemon().sweepNow();
      }
      assertEquals(0, openJournalEntries(h), "given up: the journal does not carry it forever");
      List<JsonNode> notes = auditLines(h, alice, "\"event\":\"records-given-up\"");
      assertEquals(1, notes.size(), "one audit line");
      String note = notes.get(0).get("message").asText();
      assertTrue(note.startsWith("the records of status.lost (ok, "), note);
      assertTrue(note.contains("logs/history.log could not be written in 2 attempts"), note);
      String vmLog = Files.readString(h.tree(alice).resolve("logs/vm/web.log"));
      assertTrue(vmLog.contains("wirt gave up writing the records of status.lost (ok, "), vmLog);
      assertTrue(Files.isDirectory(history), "wirtd did not touch what the user made");
    }
  }

  @Test
  void aFloodOfRefusalsIsRecordedAtTheRateThenSummarisedAndRejectedKeepsTheNewest() throws Exception {
    int burst = 5;
    int perMinute = 60;
    int kept = 20;
    try (WirtdFixture h = new WirtdFixture("test:///default", "\"limits\": {\"refusalBurst\": " + burst
        + ", \"refusalsPerMinute\": " + perMinute + ", \"rejectedKept\": " + kept + "},")) {
      User mallory = h.user();
      h.domain(mallory.name() + "-web", mallory, "web");
      h.start();
      Path vms = h.tree(mallory).resolve("command/vm");
      long t0 = System.nanoTime();
      h.users.sh(mallory, "cd '" + vms + "' && mkdir .flood && cd .flood"
          + " && seq -f 'bogus%04g' 1 300 | xargs touch && cd .. && rmdir web && mv -T .flood web");
      Await.until("every refusal recorded or counted", () -> told(h, mallory) == 300);
      double seconds = (System.nanoTime() - t0) / 1e9;
      List<JsonNode> lines = auditLines(h, mallory, "\"result\":\"rejected\"");
      // Every line in full or summary takes a token: no more than the bucket gave.
      assertTrue(lines.size() <= burst + Math.ceil(seconds * perMinute / 60.0) + 1,
          lines.size() + " lines in " + seconds + " s");
      // Each history line follows its audit line.
      Await.until("history and audit alike", () -> {
        try {
          return h.history(mallory).size() == lines.size();
        } catch (IOException e) {
          return false;
        }
      });
      JsonNode summary = lines.stream().filter(l -> l.get("message").asText().contains(" more "))
          .findFirst().orElseThrow();
      assertTrue(summary.get("message").asText().matches("\\d+ more refusals of the same kind"
          + " \\(verb none: not a verb, reason: '…' is not a verb\\) since \\d\\d:\\d\\d UTC, not"
          + " recorded one by one: at most 60 refusals a minute are; the files are in rejected/,"
          + " which keeps the newest 20"), summary.get("message").asText());
      assertEquals("web", summary.get("vm").asText());
      long rejected = count(h.tree(mallory).resolve("rejected"));
      assertTrue(rejected <= kept + kept / 4, rejected + " entries in rejected/");
    }
  }

  @Test
  void pastTheWatchCapAUsersOtherDirectoriesAreSweptAndWirtdJsonSaysSo() throws Exception {
    try (WirtdFixture h = new WirtdFixture("test:///default", "\"limits\": {\"watchesPerUser\": 2},")) {
      User alice = h.user();
      h.domain(alice.name() + "-web", alice, "web");
      h.users.sh(alice, "mkdir -p " + Stream.of("a", "b", "c")
          .map(d -> "'" + h.tree(alice).resolve("command/vm/" + d) + "'")
          .reduce((x, y) -> x + " " + y).orElseThrow());
      h.start();
      assertEquals(1 + 2, h.daemon().overview().watches(), "command/vm and two VM directories");
      assertEquals("partly-swept", h.daemon().users().get(0).watch());
      JsonNode info = JSON.readTree(h.tree(alice).resolve("info/wirtd.json").toFile());
      assertFalse(info.get("watched").asBoolean());
      assertEquals(2, info.get("sweptEverySeconds").asInt());
      assertTrue(info.get("watchNote").asText().startsWith("2 of your VM directories are swept"
          + " every 2 s instead of watched because you have more than 2 VM directories"),
          info.toString());
      h.touch(alice, "web", "status.watched");
      assertEquals("ok", h.awaitHistory(alice, 1).get("result").asText(), "her own VM is watched");
      for (String d : List.of("a", "b", "c")) {
        h.touch(alice, d, "status.swept");
      }
      h.daemon().sweepNow();
      Await.until("the swept directories served", () -> {
        try {
          return h.history(alice).size() == 4;
        } catch (IOException e) {
          return false;
        }
      });
    }
  }

  /** History and audit count refusals in full as 1 and summaries as their count. */
  private static long told(WirtdFixture h, User u) {
    long n = 0;
    for (JsonNode l : auditLines(h, u, "\"result\":\"rejected\"")) {
      String m = l.get("message").asText();
      n += m.matches("\\d+ more refusals? of the same kind.*")
          ? Long.parseLong(m.substring(0, m.indexOf(' '))) : 1;
    }
    return n;
  }

  private static List<JsonNode> auditLines(WirtdFixture h, User u, String containing) {
    try {
      return h.audit().stream().filter(l -> l.path("user").asText().equals(u.name())
          && l.toString().contains(containing)).toList();
    } catch (IOException e) {
      return List.of();
    }
  }

  private static long auditCount(WirtdFixture h, User u, String containing) {
    return auditLines(h, u, containing).size();
  }

  /** Claims not yet completed in the journal file. */
  static int openJournalEntries(WirtdFixture h) throws IOException {
    Set<Long> open = new HashSet<>();
    for (String line : Files.readAllLines(h.stateDir.resolve("journal.log"), UTF_8)) {
      JsonNode n = JSON.readTree(line);
      if (n.path("op").asText().equals("claim")) {
        open.add(n.path("id").asLong());
      } else if (n.path("op").asText().equals("complete")) {
        open.remove(n.path("id").asLong());
      }
    }
    return open.size();
  }

  private static long count(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.count();
    }
  }
}
