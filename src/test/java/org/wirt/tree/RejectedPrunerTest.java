package org.wirt.tree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** {@code rejected/} kept to its newest entries, as the user, following no link. */
@Tag("root")
class RejectedPrunerTest extends RealTreeFixture {

  @Test
  void keepsTheNewestEntriesAndRemovesOlderFilesDirectoriesAndLinksThemselves() throws Exception {
    // Oldest first: a refused VM directory with content, a link to a directory of alice's, a
    // FIFO, then ten files; each a minute newer than the one before.
    asAlice("mkdir -p ../outside && echo keep > ../outside/precious"
        + " && mkdir -p rejected/olddir/sub && touch rejected/olddir/a rejected/olddir/sub/b"
        + " && touch -d '2020-01-01 00:00' rejected/olddir"
        + " && ln -s ../../outside rejected/oldlink && touch -h -d '2020-01-01 00:01' rejected/oldlink"
        + " && mkfifo rejected/oldfifo && touch -d '2020-01-01 00:02' rejected/oldfifo"
        + " && for i in 0 1 2 3 4 5 6 7 8 9; do touch -d \"2020-01-01 01:0$i\" rejected/f$i; done");
    assertEquals(3 + 10, count(root.resolve("rejected")));

    assertEquals(3 + 5, tree.pruneRejected(5));
    try (Stream<Path> left = Files.list(root.resolve("rejected"))) {
      assertEquals(java.util.List.of("f5", "f6", "f7", "f8", "f9"),
          left.map(p -> p.getFileName().toString()).sorted().toList());
    }
    assertEquals("keep\n", Files.readString(alice.home().resolve("outside/precious")),
        "the link was removed, not followed");
    assertEquals(0, tree.pruneRejected(5), "nothing more to do");
  }

  @Test
  void aDirectoryDeeperThanARefusedOneCanHoldIsLeft() throws Exception {
    asAlice("mkdir -p rejected/deep/1/2/3/4 && touch rejected/deep/1/2/3/4/x"
        + " && touch -d '2020-01-01' rejected/deep && touch rejected/new");
    assertEquals(0, tree.pruneRejected(1));
    assertTrue(Files.exists(root.resolve("rejected/new")));
    assertTrue(Files.isDirectory(root.resolve("rejected/deep")), "left: deeper than "
        + RejectedPruner.DEPTH + " levels");
  }

  private static long count(Path dir) throws Exception {
    try (Stream<Path> files = Files.list(dir)) {
      return files.count();
    }
  }
}
