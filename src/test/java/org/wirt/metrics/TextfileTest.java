package org.wirt.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The textfile is replaced whole, readable by node_exporter, and nothing planted is followed. */
class TextfileTest {
  @TempDir Path dir;

  private static int mode(Path p) throws IOException {
    return (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
  }

  private List<String> names() throws IOException {
    try (var s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void writesTheTextWithMode0644AndLeavesNoTemporary() throws Exception {
    Path file = dir.resolve("wirt.prom");
    new Textfile(file).write("a 1\n");

    assertEquals("a 1\n", Files.readString(file));
    assertEquals(0644, mode(file));
    assertEquals(List.of("wirt.prom"), names());
  }

  @Test
  void aReaderSeesTheOldFileOrTheNewOneNeverPartOfOne() throws Exception {
    Path file = dir.resolve("wirt.prom");
    Textfile textfile = new Textfile(file);
    String a = "a 1\n".repeat(100_000);
    String b = "b 2\n".repeat(120_000);
    textfile.write(a);
    AtomicBoolean done = new AtomicBoolean();
    List<String> seen = new ArrayList<>();
    Thread reader = new Thread(() -> {
      while (!done.get()) {
        try {
          String s = Files.readString(file);
          if (!s.equals(a) && !s.equals(b)) {
            synchronized (seen) {
              seen.add(s.length() + " characters");
            }
          }
        } catch (IOException e) {
          synchronized (seen) {
            seen.add(e.toString());
          }
        }
      }
    });
    reader.start();
    for (int i = 0; i < 100; i++) {
      textfile.write(i % 2 == 0 ? b : a);
    }
    done.set(true);
    reader.join();

    assertEquals(List.of(), seen);
    assertEquals(a, Files.readString(file));
  }

  @Test
  void aLinkPlantedAtTheTemporaryNameIsRemovedNotWrittenThrough() throws Exception {
    Path victim = Files.writeString(dir.resolve("victim"), "secret\n");
    Files.createSymbolicLink(dir.resolve(".wirt.prom.wirtd-tmp"), victim);

    new Textfile(dir.resolve("wirt.prom")).write("a 1\n");

    assertEquals("secret\n", Files.readString(victim));
    assertEquals("a 1\n", Files.readString(dir.resolve("wirt.prom")));
    assertEquals(List.of("victim", "wirt.prom"), names());
  }

  @Test
  void aLinkAtTheFileIsReplacedNotWrittenThrough() throws Exception {
    Path victim = Files.writeString(dir.resolve("victim"), "secret\n");
    Path file = dir.resolve("wirt.prom");
    Files.createSymbolicLink(file, victim);

    new Textfile(file).write("a 1\n");

    assertEquals("secret\n", Files.readString(victim));
    assertFalse(Files.isSymbolicLink(file));
    assertEquals("a 1\n", Files.readString(file));
  }

  @Test
  void aTemporaryLeftByACrashIsReplaced() throws Exception {
    Files.writeString(dir.resolve(".wirt.prom.wirtd-tmp"), "half");

    new Textfile(dir.resolve("wirt.prom")).write("a 1\n");

    assertEquals(List.of("wirt.prom"), names());
  }

  @Test
  void aMissingDirectoryFailsNamingItAndWritesNothing() {
    Path file = dir.resolve("missing/wirt.prom");
    IOException e = assertThrows(IOException.class, () -> new Textfile(file).write("a 1\n"));

    assertTrue(e.getMessage().startsWith("open " + dir.resolve("missing") + ": ENOENT"),
        e.getMessage());
    assertFalse(Files.exists(dir.resolve("missing")));
  }

  @Test
  void onlyAnAbsolutePromFileIsAccepted() {
    assertEquals("not an absolute path of a .prom file: wirt.prom",
        assertThrows(IllegalArgumentException.class,
            () -> new Textfile(Path.of("wirt.prom"))).getMessage());
    assertEquals("not an absolute path of a .prom file: /tmp/wirt.txt",
        assertThrows(IllegalArgumentException.class,
            () -> new Textfile(Path.of("/tmp/wirt.txt"))).getMessage());
  }
}
