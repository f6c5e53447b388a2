package org.wirt.tree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/**
 * Whatever a user makes of the files wirtd appends to or lists, wirtd spends bounded memory and
 * time on them (SPEC 8). Each file is made by the real user. That a log is discarded unread is
 * proven by its access time: set far in the past, any read would move it (relatime updates an
 * access time older than the modification time).
 */
class HomeTreeBoundsTest extends RealTreeFixture {
  private static final long ROTATE = 1 << 20;
  private static final FileTime LONG_AGO = FileTime.fromMillis(1000);

  private byte[] line(String text) {
    return (text + "\n").getBytes(StandardCharsets.UTF_8);
  }

  private void markUnread(Path file) throws IOException {
    Files.setAttribute(file, "lastAccessTime", LONG_AGO, LinkOption.NOFOLLOW_LINKS);
  }

  private void assertUnread(Path file) throws IOException {
    assertEquals(LONG_AGO, Files.getAttribute(file, "lastAccessTime", LinkOption.NOFOLLOW_LINKS),
        file + " was read");
  }

  @Test
  void aSparseLogOfFourGibibytesIsDiscardedUnreadAndTheLineWritten() throws Exception {
    for (String rel : List.of("logs/history.log", "logs/vm/web.log")) {
      Path log = root.resolve(rel);
      asAlice("truncate -s 4G " + rel);
      markUnread(log);
      tree.appendLine(rel, line("after"), ROTATE, 5, note -> line("NOTE " + note));
      assertUnread(log);
      List<String> lines = Files.readAllLines(log);
      assertEquals(2, lines.size(), lines.toString());
      assertEquals("NOTE wirt discarded 4294967296 bytes of ~" + alice.name() + "/wirt/" + rel
          + ", which it did not write: it is sparse (0 of its bytes are on disk); wirt keeps a log"
          + " of up to 2097152 bytes that it wrote itself", lines.get(0));
      assertEquals("after", lines.get(1));
      assertFalse(Files.exists(log.resolveSibling(log.getFileName() + ".1.gz")), "nothing to keep");
      assertEquals(alice.uid(), uid(log));
    }
  }

  @Test
  void anOversizedLogOfRealBytesIsDiscardedUnread() throws Exception {
    Path log = root.resolve("logs/vm/web.log");
    asAlice("head -c 300M /dev/zero > logs/vm/web.log");
    assertTrue(Files.size(log) == 300L << 20);
    markUnread(log);
    tree.appendLine("logs/vm/web.log", line("after"), ROTATE, 5);
    assertUnread(log);
    assertEquals(List.of("wirt discarded 314572800 bytes of ~" + alice.name()
        + "/wirt/logs/vm/web.log, which it did not write: wirt rotates this log at 1048576 bytes"
        + " and keeps at most 2097152", "after"), Files.readAllLines(log));
  }

  @Test
  void aLogPastItsRotationButWithinTheCapIsGzippedWholeAsItIsRead() throws Exception {
    Path log = root.resolve("logs/history.log");
    // 1.5 MiB of real lines the user appended: more than a rotation, less than the cap.
    asAlice("seq -f 'line %07g' 1 110000 > logs/history.log");
    String before = Files.readString(log);
    assertTrue(before.length() > ROTATE && before.length() < 2 * ROTATE, "" + before.length());
    tree.appendLine("logs/history.log", line("last"), ROTATE, 5);
    assertEquals(0, Files.size(log));
    assertEquals(before + "last\n", gunzip(log.resolveSibling("history.log.1.gz")));
    assertEquals(List.of("history.log", "history.log.1.gz"), names(log.getParent()).stream()
        .filter(n -> n.startsWith("history")).toList(), "no temporary file left");
  }

  @Test
  void aSmallSparseLogIsKeptAsWritten() throws Exception {
    Path log = root.resolve("logs/history.log");
    asAlice("truncate -s 1000 logs/history.log");
    tree.appendLine("logs/history.log", line("x"), ROTATE, 5);
    assertEquals(1002, Files.size(log), "below the rotation size a hole costs nothing to keep");
  }

  @Test
  void pruningAHundredThousandResultsIsBoundedPerCallAndKeepsTheNewest() throws Exception {
    Path results = root.resolve("info/vm/web/results");
    asAlice("mkdir -p info/vm/web/results; cd info/vm/web/results;"
        + " seq -f 'r%06g.json' 1 100000 | xargs touch -d @1000000000;"
        + " for i in 1 2 3 4 5; do touch -d @200000000$i new$i.json; done");
    int before = count(results);
    assertEquals(100_005, before);
    int calls = 0;
    while (before > 3) {
      tree.pruneOldest("info/vm/web/results", ".json", 3);
      calls++;
      int after = count(results);
      assertTrue(before - after <= HomeTree.MAX_PRUNE_INSPECTED,
          "one call looked at no more than " + HomeTree.MAX_PRUNE_INSPECTED + " names, removed "
              + (before - after));
      assertTrue(after < before, "every call makes progress");
      before = after;
    }
    assertTrue(calls <= 100_005 / (HomeTree.MAX_PRUNE_INSPECTED - 3) + 1, "calls=" + calls);
    assertEquals(List.of("new3.json", "new4.json", "new5.json"), names(results));
  }

  @Test
  void scanningTwentyThousandVmDirectoriesIsBoundedAndStillFindsTheOwnedVm() throws Exception {
    asAlice("cd command/vm; seq -f 'd%05g' 1 20000 | xargs mkdir; echo x > web/start");
    List<HomeTree.VmDirectory> found = tree.scanVmDirectories(
        name -> name.text().filter(org.wirt.command.Names::isVm).isPresent(), List.of("web"));
    assertTrue(found.size() <= HomeTree.MAX_VM_DIRECTORIES + 1, "found " + found.size());
    List<HomeTree.VmDirectory> web = found.stream()
        .filter(d -> d.entry().name().display().equals("web")).toList();
    assertEquals(1, web.size(), "the owned VM is looked up by name if the listing missed it");
    assertTrue(web.get(0).hasCommands());
    assertTrue(tree.listVmDirectories().size() <= HomeTree.MAX_VM_DIRECTORIES);
  }

  @Test
  void listingACommandDirectoryOfSeventyThousandFilesLooksAtABoundedNumber() throws Exception {
    asAlice("cd command/vm/web; seq -f 'c%06g' 1 70000 | xargs touch");
    HomeTree.Listing listing = tree.oldestCommands("web", 512,
        java.util.Comparator.comparingLong(Entry::mtimeNanos));
    assertEquals(HomeTree.MAX_COMMANDS_INSPECTED, listing.total());
    assertTrue(listing.capped());
    assertEquals(512, listing.oldest().size());
  }

  private static int count(Path dir) throws IOException {
    try (var s = Files.list(dir)) {
      return (int) s.count();
    }
  }

  private static String gunzip(Path gz) throws IOException {
    try (InputStream in = new GZIPInputStream(Files.newInputStream(gz))) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      in.transferTo(out);
      return out.toString(StandardCharsets.UTF_8);
    }
  }
}
