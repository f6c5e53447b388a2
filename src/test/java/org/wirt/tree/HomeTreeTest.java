package org.wirt.tree;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.wirt.posix.Inotify;
import org.wirt.posix.InotifyEvent;
import org.wirt.testing.Await;
import org.wirt.testing.RealUsers;

class HomeTreeTest extends RealTreeFixture {

  @Test
  void existsOnlyForARealDirectoryOwnedByTheUser() throws Exception {
    assertTrue(tree.exists());
    RealUsers.root("rm", "-rf", root.toString());
    assertFalse(tree.exists());
    users.run(alice, "ln", "-s", bob.home().toString(), root.toString());
    assertFalse(tree.exists());
    RealUsers.root("rm", root.toString());
    RealUsers.root("mkdir", root.toString());
    assertFalse(tree.exists());
  }

  @Test
  void ensureSkeletonCreatesPrivateDirectoriesOwnedByTheUser() throws Exception {
    tree.ensureSkeleton(List.of("web", "db"));
    for (String dir : List.of("command", "command/vm", "command/vm/web", "command/vm/db", "info",
        "info/vm", "info/vm/web", "info/vm/db", "logs", "logs/vm", "rejected")) {
      Path p = root.resolve(dir);
      assertTrue(Files.isDirectory(p), dir);
      assertEquals(alice.uid(), uid(p), dir);
      assertEquals(0700, mode(p), dir);
    }
  }

  @Test
  void ensureSkeletonNeedsTheTreeRoot() throws Exception {
    RealUsers.root("rm", "-rf", root.toString());
    NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> tree.ensureSkeleton(List.of()));
    assertEquals("~" + alice.name() + "/wirt", e.getMessage());
  }

  @Test
  void refusesVmNamesThatAreNotASingleComponent() {
    for (String bad : List.of("", ".", "..", "a/b")) {
      assertThrows(IllegalArgumentException.class, () -> tree.ensureSkeleton(List.of(bad)), bad);
      assertThrows(IllegalArgumentException.class, () -> tree.listCommands(bad), bad);
    }
  }

  @Test
  void keepsOnlyTheOldestCommandsAndCountsAll() throws Exception {
    asAlice("cd command/vm/web; for i in $(seq 1 50); do touch -d @$((2000 - i)) status.$i; done;"
        + " touch .start.tmp x~");
    HomeTree.Listing listing = tree.oldestCommands("web", 3,
        java.util.Comparator.comparingLong(Entry::mtimeNanos));
    assertEquals(50, listing.total());
    assertEquals(List.of("status.50", "status.49", "status.48"),
        listing.oldest().stream().map(e -> e.name().display()).toList());
  }

  @Test
  void hasCommandsIgnoresWritesInProgress() throws Exception {
    asAlice("cd command/vm/web; touch .start.tmp x~ y.swp");
    assertFalse(tree.hasCommands("web"));
    asAlice("touch command/vm/web/start");
    assertTrue(tree.hasCommands("web"));
  }

  @Test
  void listsCommandsOldestFirstWithoutWritesInProgress() throws Exception {
    asAlice("cd command/vm/web; touch -d @1000 stop; touch -d @500 start; touch -d @500 reboot;"
        + " touch .start.tmp x~ y.tmp z.swp; mkdir sub");
    List<Entry> entries = tree.listCommands("web");
    assertEquals(List.of("reboot", "start", "stop", "sub"), entries.stream().map(e -> e.name().display()).toList());
    assertEquals(EntryName.of("reboot"), entries.get(0).name());
    assertEquals(EntryName.of("start"), entries.get(1).name());
    assertEquals(500_000_000_000L, entries.get(0).mtimeNanos());
    assertEquals(EntryType.REGULAR, entries.get(0).type());
    assertEquals(EntryName.of("stop"), entries.get(2).name());
    assertEquals(EntryType.DIRECTORY, entries.get(3).type());
  }

  @Test
  void listsVmDirectoriesWithTheirTypesWithoutFollowing() throws Exception {
    asAlice("cd command/vm; ln -s /root evil; mkdir .hidden; touch file");
    List<Entry> entries = new ArrayList<>(tree.listVmDirectories());
    entries.sort((a, b) -> a.name().display().compareTo(b.name().display()));
    assertEquals(List.of("evil", "file", "web"), entries.stream().map(e -> e.name().display()).toList());
    assertEquals(List.of(EntryType.SYMLINK, EntryType.REGULAR, EntryType.DIRECTORY),
        entries.stream().map(Entry::type).toList());
  }

  @Test
  void readsARegularCommandFileWithItsFacts() throws Exception {
    asAlice("printf 'vcpus=2' > command/vm/web/start");
    ReadResult.Content content = assertInstanceOf(ReadResult.Content.class,
        tree.readCommand("web", EntryName.of("start"), 65536));
    assertArrayEquals("vcpus=2".getBytes(), content.bytes());
    FileFacts facts = content.facts();
    assertEquals(EntryType.REGULAR, facts.type());
    assertEquals(alice.uid(), facts.uid());
    assertEquals(1, facts.nlink());
    assertEquals(7, facts.size());
    assertEquals(Files.getAttribute(root.resolve("command/vm/web/start"), "unix:ino"), facts.ino());
  }

  @Test
  void readCommandOfAVanishedFileThrowsNoSuchFile() {
    NoSuchFileException e = assertThrows(NoSuchFileException.class,
        () -> tree.readCommand("web", EntryName.of("start"), 100));
    assertEquals("~" + alice.name() + "/wirt/command/vm/web/start", e.getMessage());
  }

  @Test
  void acceptsAFileOfExactlyTheLimit() throws Exception {
    asAlice("printf 1234 > command/vm/web/start");
    assertInstanceOf(ReadResult.Content.class, tree.readCommand("web", EntryName.of("start"), 4));
    assertEquals(new ReadResult.Refused("is 4 bytes; at most 3 are accepted"),
        tree.readCommand("web", EntryName.of("start"), 3));
  }

  @Test
  void removeCommandUnlinksOnlyTheFileThatWasRead() throws Exception {
    asAlice("echo a > command/vm/web/start");
    FileFacts read = ((ReadResult.Content) tree.readCommand("web", EntryName.of("start"), 100)).facts();
    asAlice("echo b > command/vm/web/.n; mv command/vm/web/.n command/vm/web/start");
    assertFalse(tree.removeCommand("web", EntryName.of("start"), read));
    assertEquals("b\n", Files.readString(root.resolve("command/vm/web/start")));
    FileFacts now = ((ReadResult.Content) tree.readCommand("web", EntryName.of("start"), 100)).facts();
    assertTrue(tree.removeCommand("web", EntryName.of("start"), now));
    assertFalse(Files.exists(root.resolve("command/vm/web/start")));
    assertFalse(tree.removeCommand("web", EntryName.of("start"), now));
  }

  @Test
  void writeFileCreatesMissingParentsAndLeavesNoTemporaryFile() throws Exception {
    tree.writeFile("info/vm/db/results/t1.json", "{}".getBytes());
    tree.writeFile("info/vm/db/results/t1.json", "{\"ok\":true}".getBytes());
    Path file = root.resolve("info/vm/db/results/t1.json");
    assertEquals("{\"ok\":true}", Files.readString(file));
    assertEquals(alice.uid(), uid(file));
    assertEquals(0600, mode(file));
    assertEquals(0700, mode(file.getParent()));
    assertEquals(alice.uid(), uid(file.getParent()));
    assertEquals(List.of("t1.json"), names(file.getParent()));
  }

  @Test
  void touchFileRefreshesTheTimeOfTheSameFile() throws Exception {
    tree.writeFile("info/wirtd.json", "{}".getBytes());
    Path file = root.resolve("info/wirtd.json");
    Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(1000));
    Object inode = Files.getAttribute(file, "unix:ino");
    tree.touchFile("info/wirtd.json");
    assertTrue(Files.getLastModifiedTime(file).toMillis() > 1000, "time refreshed");
    assertEquals(inode, Files.getAttribute(file, "unix:ino"), "the same file, not a new one");
    assertEquals("{}", Files.readString(file));
    NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> tree.touchFile("info/gone.json"));
    assertEquals("~" + alice.name() + "/wirt/info/gone.json", e.getMessage());
  }

  @Test
  void writeFileRefusesPathsThatLeaveTheTree() {
    for (String bad : List.of("../x", "info/../../x", "/etc/passwd", "info//x", "info/")) {
      assertThrows(IllegalArgumentException.class, () -> tree.writeFile(bad, new byte[0]), bad);
    }
  }

  @Test
  void appendLineRotatesIntoGzipKeepingAtMostKeep() throws Exception {
    Path log = root.resolve("logs/vm/web.log");
    for (int batch = 1; batch <= 4; batch++) {
      for (int i = 1; i <= 3; i++) {
        tree.appendLine("logs/vm/web.log", ("batch" + batch + "-" + i + "\n").getBytes(), 20, 2);
      }
      assertEquals(0, Files.size(log), "rotated after the third line of batch " + batch);
    }
    assertEquals(List.of("web.log", "web.log.1.gz", "web.log.2.gz"), names(log.getParent()));
    assertEquals("batch4-1\nbatch4-2\nbatch4-3\n", gunzip(log.resolveSibling("web.log.1.gz")));
    assertEquals("batch3-1\nbatch3-2\nbatch3-3\n", gunzip(log.resolveSibling("web.log.2.gz")));
    tree.appendLine("logs/vm/web.log", "tail\n".getBytes(), 20, 2);
    assertEquals("tail\n", Files.readString(log));
    assertEquals(0600, mode(log));
    assertEquals(alice.uid(), uid(log));
  }

  @Test
  void pruneOldestKeepsTheNewestByMtimeThenName() throws Exception {
    asAlice("mkdir -p info/vm/web/results; cd info/vm/web/results; touch -d @100 a.json;"
        + " touch -d @300 b.json; touch -d @200 c.json; touch -d @300 d.json; touch -d @1 x.txt;"
        + " ln -s /root l.json");
    tree.pruneOldest("info/vm/web/results", ".json", 2);
    assertEquals(List.of("b.json", "d.json", "l.json", "x.txt"), names(root.resolve("info/vm/web/results")));
    tree.pruneOldest("info/vm/nothing/results", ".json", 2);
  }

  @Test
  void addWatchSeesCommandsTheUserWrites() throws Exception {
    try (Inotify inotify = Inotify.open()) {
      int wd = tree.addWatch(inotify, "command/vm/web", Inotify.IN_CLOSE_WRITE | Inotify.IN_MOVED_TO);
      asAlice("echo > command/vm/web/start");
      List<InotifyEvent> events = new ArrayList<>();
      Await.until("an inotify event for command/vm/web/start", Duration.ofSeconds(10), () -> {
        events.addAll(inotify.read(Duration.ofMillis(200)));
        return !events.isEmpty();
      });
      assertEquals(wd, events.get(0).wd());
      assertEquals("start", new String(events.get(0).name(), StandardCharsets.UTF_8));
    }
  }

  @Test
  void addWatchRefusesASymlinkedDirectory() throws Exception {
    asAlice("rm -r command/vm/web; ln -s " + bob.home() + " command/vm/web");
    try (Inotify inotify = Inotify.open()) {
      IOException e = assertThrows(IOException.class,
          () -> tree.addWatch(inotify, "command/vm/web", Inotify.IN_CLOSE_WRITE));
      assertEquals("~" + alice.name() + "/wirt/command/vm/web is a symbolic link; wirt never follows"
          + " links in a home and needs a directory there", e.getMessage());
    }
  }

  private static String gunzip(Path p) throws IOException {
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(Files.readAllBytes(p)))) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
