package org.wirt.journal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalTest {
  @TempDir Path dir;

  private static Journal.Claim claim(Journal j, String verb) throws Exception {
    return j.claim("alice", 1001, "web", "alice-web", "6695eb01-f6a4-8304-79aa-97f2502e193f", verb,
        "t-" + verb, verb + ".t-" + verb, 64769, 1234, "force".getBytes(UTF_8), "2026-11-22T10:00:00Z");
  }

  private static ObjectNode outcome(String result) {
    return JsonNodeFactory.instance.objectNode().put("result", result);
  }

  @Test
  void reportsWhatWasOpenWhenReopened() throws Exception {
    try (Journal j = Journal.open(dir)) {
      Journal.Claim running = claim(j, "start");
      Journal.Claim finished = claim(j, "stop");
      Journal.Claim logged = claim(j, "reboot");
      Journal.Claim complete = claim(j, "destroy");
      j.done(finished.id(), outcome("ok"));
      j.done(logged.id(), outcome("failed"));
      j.logged(logged.id());
      j.done(complete.id(), outcome("ok"));
      j.logged(complete.id());
      j.complete(complete.id());
      assertEquals(3, j.openCount());
      assertTrue(running.id() < finished.id());
    }
    try (Journal j = Journal.open(dir)) {
      List<Journal.Entry> open = j.recovered();
      assertEquals(List.of("start", "stop", "reboot"), open.stream().map(e -> e.claim().verb()).toList());
      Journal.Entry start = open.get(0);
      assertNull(start.outcome());
      assertEquals("alice", start.claim().user());
      assertEquals(1234, start.claim().ino());
      assertArrayEquals("force".getBytes(UTF_8), start.claim().content());
      assertEquals("ok", open.get(1).outcome().get("result").asText());
      assertEquals(false, open.get(1).logged());
      assertEquals(true, open.get(2).logged());
      Journal.Claim next = claim(j, "status");
      assertTrue(next.id() > open.get(2).claim().id(), "ids are never reused");
    }
  }

  @Test
  void aTornLastLineIsIgnored() throws Exception {
    try (Journal j = Journal.open(dir)) {
      claim(j, "start");
    }
    Files.writeString(dir.resolve("journal.log"), "{\"op\":\"claim\",\"id\":7,\"us", UTF_8,
        StandardOpenOption.APPEND);
    try (Journal j = Journal.open(dir)) {
      assertEquals(1, j.recovered().size());
    }
  }

  @Test
  void workersCommittingTogetherLoseNothingAcrossCompactions() throws Exception {
    int threads = 8;
    int each = 300;
    java.util.Set<Long> ids = java.util.concurrent.ConcurrentHashMap.newKeySet();
    java.util.Set<Long> leftOpen = java.util.concurrent.ConcurrentHashMap.newKeySet();
    byte[] big = new byte[2048];
    try (Journal j = Journal.open(dir)) {
      java.util.List<Thread> workers = new java.util.ArrayList<>();
      java.util.List<Throwable> errors = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
      for (int t = 0; t < threads; t++) {
        int worker = t;
        Thread w = new Thread(() -> {
          try {
            for (int i = 0; i < each; i++) {
              Journal.Claim c = j.claim("u" + worker, 1000 + worker, "vm", null, null, "status",
                  null, "status", worker, i, big, "2026-11-22T10:00:00Z");
              ids.add(c.id());
              if (i % 50 == 7) {
                leftOpen.add(c.id());
                continue;
              }
              j.done(c.id(), outcome("ok"));
              j.logged(c.id());
              j.complete(c.id());
            }
          } catch (Throwable e) {
            errors.add(e);
          }
        });
        workers.add(w);
        w.start();
      }
      for (Thread w : workers) {
        w.join();
      }
      assertEquals(java.util.List.of(), errors);
      assertEquals(threads * each, ids.size(), "every claim has its own id");
      assertEquals(leftOpen.size(), j.openCount());
    }
    try (Journal j = Journal.open(dir)) {
      assertEquals(leftOpen, j.recovered().stream().map(e -> e.claim().id())
          .collect(java.util.stream.Collectors.toSet()), "exactly the unfinished claims survive");
    }
  }

  @Test
  void staysSmallAsCommandsComplete() throws Exception {
    try (Journal j = Journal.open(dir)) {
      Journal.Claim keep = claim(j, "start");
      byte[] big = new byte[4096];
      for (int i = 0; i < 1000; i++) {
        Journal.Claim c = j.claim("bob", 1002, "db", "bob-db", null, "status", null, "status", 1, i,
            big, "2026-11-22T10:00:00Z");
        j.done(c.id(), outcome("ok"));
        j.logged(c.id());
        j.complete(c.id());
      }
      assertTrue(Files.size(dir.resolve("journal.log")) < Journal.COMPACT_AT_BYTES + 16_384,
          "compacted: " + Files.size(dir.resolve("journal.log")));
      assertEquals(1, j.openCount());
      assertEquals(keep.id(), j.claim("x", 1, "v", null, null, "status", null, "status", 0, 0,
          new byte[0], "t").id() - 1001);
    }
    try (Journal j = Journal.open(dir)) {
      assertEquals(2, j.recovered().size());
      assertEquals("start", j.recovered().get(0).claim().verb());
    }
  }
}
