package org.wirt.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** wirtd rotates its audit log itself: bounded by size and count, compressed, nothing torn. */
class AuditLogTest {
  @TempDir Path dir;

  @Test
  void aFloodOfRecordsIsRotatedBySizeKeepingTheConfiguredNumberCompressed() throws Exception {
    long rotateAt = 64 * 1024;
    int keep = 3;
    try (AuditLog audit = new AuditLog(dir, rotateAt, keep)) {
      for (int i = 0; i < 20_000; i++) {
        audit.append(outcome(i));
      }
      audit.note(Instant.EPOCH, "alice", "web", "records-given-up", "the last line");
    }
    assertEquals(List.of("audit.log", "audit.log.1.gz", "audit.log.2.gz", "audit.log.3.gz"),
        names());
    assertTrue(Files.size(dir.resolve("audit.log")) <= rotateAt + 1024);
    long total = 0;
    for (String name : names()) {
      total += Files.size(dir.resolve(name));
    }
    assertTrue(total < 2 * rotateAt, "20,000 lines (2.6 MB) kept in " + total + " bytes");
    assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
        Files.getPosixFilePermissions(dir.resolve("audit.log.1.gz"))));
    // The newest rotated file ends where the live one begins: no line lost or torn between them.
    List<String> rotated = gunzip(dir.resolve("audit.log.1.gz"));
    List<String> live = Files.readAllLines(dir.resolve("audit.log"));
    int last = number(rotated.get(rotated.size() - 1));
    assertEquals(last + 1, number(live.get(0)));
    assertTrue(live.get(live.size() - 1).contains("\"event\":\"records-given-up\""));
  }

  @Test
  void aRotationACrashInterruptedIsCompressedAtStart() throws Exception {
    Files.writeString(dir.resolve("audit.log.0"), "{\"old\":1}\n");
    try (AuditLog audit = new AuditLog(dir, 1 << 20, 2)) {
      audit.append(outcome(0));
    }
    assertEquals(List.of("audit.log", "audit.log.1.gz"), names());
    assertEquals(List.of("{\"old\":1}"), gunzip(dir.resolve("audit.log.1.gz")));
  }

  private List<String> names() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private static List<String> gunzip(Path file) throws IOException {
    try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    }
  }

  private static int number(String line) {
    return Integer.parseInt(line.replaceAll(".*\"message\":\"refused (\\d+)\".*", "$1"));
  }

  private static Outcome outcome(int i) {
    return new Outcome(Instant.parse("2026-12-03T10:00:00Z"), "mallory", "web", null, "bogus",
        null, Result.REJECTED, "refused " + i, 0);
  }
}
