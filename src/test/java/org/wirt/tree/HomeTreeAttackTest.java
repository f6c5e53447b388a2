package org.wirt.tree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.wirt.testing.RealUsers;

/** Attacks a user can mount from their own tree; each is set up by the real user via runuser. */
class HomeTreeAttackTest extends RealTreeFixture {
  private static final String SECRET = "root's secret\n";
  private static final Duration HANG_GUARD = Duration.ofSeconds(10);

  private Path secret;
  private Path bobDir;

  @BeforeEach
  void plantTargets() throws IOException {
    secret = Path.of("/root/wirt-test-secret-" + alice.name());
    Files.writeString(secret, SECRET);
    RealUsers.root("chmod", "0600", secret.toString());
    Files.setAttribute(secret, "lastAccessTime", FileTime.fromMillis(1000));
    // World-writable and reachable: only the refusal to follow links keeps wirt out of it.
    bobDir = bob.home().resolve("open");
    RealUsers.root("rm", "-rf", bobDir.toString());
    users.run(bob, "mkdir", "-m", "0777", bobDir.toString());
    users.run(bob, "chmod", "0755", bob.home().toString());
  }

  @AfterEach
  void removeSecret() throws IOException {
    Files.deleteIfExists(secret);
  }

  private String where(String rel) {
    return "~" + alice.name() + "/wirt/" + rel;
  }

  private ReadResult read(String name) throws IOException {
    return tree.readCommand("web", EntryName.of(name), 65536);
  }

  private void assertSecretUntouched() throws IOException {
    // The access time first: reading the content here would itself update it.
    assertEquals(FileTime.fromMillis(1000), Files.getAttribute(secret, "lastAccessTime"), "secret was read");
    assertEquals(SECRET, Files.readString(secret));
  }

  @Test
  void refusesSymlinkedCommandFile() throws Exception {
    asAlice("ln -s " + secret + " command/vm/web/start");
    assertEquals(new ReadResult.Refused("is a symbolic link; wirt accepts only regular files"), read("start"));
    assertSecretUntouched();
  }

  @ParameterizedTest
  @ValueSource(strings = {"/root", "BOB"})
  void refusesToListOrReadThroughASymlinkedVmDirectory(String target) throws Exception {
    String to = target.equals("BOB") ? bobDir.toString() : "/root";
    Files.writeString(bobDir.resolve("start"), "bob's");
    asAlice("rm -r command/vm/web; ln -s " + to + " command/vm/web");
    String message = where("command/vm/web") + " is a symbolic link; wirt never follows links in a home"
        + " and needs a directory there";
    assertEquals(message, assertThrows(IOException.class, () -> tree.listCommands("web")).getMessage());
    assertEquals(message, assertThrows(IOException.class, () -> read("start")).getMessage());
    assertEquals(message, assertThrows(IOException.class,
        () -> tree.reject("web", EntryName.of("start"))).getMessage());
    assertEquals(List.of("start"), names(bobDir));
  }

  @Test
  void refusesToWalkThroughASymlinkedCommandDirectory() throws Exception {
    asAlice("rm -r command; ln -s /root command");
    String message = where("command") + " is a symbolic link; wirt never follows links in a home and"
        + " needs a directory there";
    assertEquals(message, assertThrows(IOException.class, () -> tree.listVmDirectories()).getMessage());
    assertEquals(message, assertThrows(IOException.class, () -> tree.listCommands("web")).getMessage());
    assertEquals(message, assertThrows(IOException.class,
        () -> tree.readCommand("web", EntryName.of(secret.getFileName().toString()), 100)).getMessage());
    assertSecretUntouched();
  }

  @Test
  void refusesAVmDirectoryThatIsAFile() throws Exception {
    asAlice("rm -r command/vm/web; touch command/vm/web");
    IOException e = assertThrows(IOException.class, () -> tree.listCommands("web"));
    assertEquals(where("command/vm/web") + " is a regular file, not a directory", e.getMessage());
  }

  @Test
  void doesNotWriteThroughSymlinkedInfoOrLogsAndEnsureSkeletonRepairsThem() throws Exception {
    asAlice("rm -r info logs; ln -s " + bobDir + " info; ln -s " + bobDir + " logs");
    IOException write = assertThrows(IOException.class,
        () -> tree.writeFile("info/vm/web/status.json", "{}".getBytes()));
    assertEquals(where("info") + " is a symbolic link; wirt never follows links in a home and needs a"
        + " directory there", write.getMessage());
    IOException append = assertThrows(IOException.class,
        () -> tree.appendLine("logs/history.log", "{}\n".getBytes(), 1 << 20, 3));
    assertEquals(where("logs") + " is a symbolic link; wirt never follows links in a home and needs a"
        + " directory there", append.getMessage());
    assertEquals(List.of(), names(bobDir));

    tree.ensureSkeleton(List.of("web"));
    assertTrue(Files.isDirectory(root.resolve("info"), LinkOption.NOFOLLOW_LINKS));
    assertTrue(Files.isDirectory(root.resolve("logs"), LinkOption.NOFOLLOW_LINKS));
    assertTrue(Files.isDirectory(root.resolve("info/vm/web"), LinkOption.NOFOLLOW_LINKS));
    tree.writeFile("info/vm/web/status.json", "{}".getBytes());
    tree.appendLine("logs/history.log", "{}\n".getBytes(), 1 << 20, 3);
    assertEquals(List.of(), names(bobDir));
    assertTrue(Files.isDirectory(bobDir));
  }

  @Test
  void writeFileRefusesASymlinkedParentNamingIt() throws Exception {
    asAlice("rm -r info/vm/web; ln -s " + bobDir + " info/vm/web");
    IOException e = assertThrows(IOException.class, () -> tree.writeFile("info/vm/web/status.json", new byte[1]));
    assertEquals(where("info/vm/web") + " is a symbolic link; wirt never follows links in a home and"
        + " needs a directory there", e.getMessage());
    assertEquals(List.of(), names(bobDir));
  }

  @Test
  void writeFileReplacesAPlantedSymlinkWithoutFollowingIt() throws Exception {
    asAlice("ln -s " + secret + " info/vm/web/status.json; ln -s " + bobDir + "/x info/vm/web/settings.json");
    tree.writeFile("info/vm/web/status.json", "{\"state\":\"running\"}".getBytes());
    tree.writeFile("info/vm/web/settings.json", "{}".getBytes());
    Path status = root.resolve("info/vm/web/status.json");
    assertTrue(Files.isRegularFile(status, LinkOption.NOFOLLOW_LINKS));
    assertEquals("{\"state\":\"running\"}", Files.readString(status));
    assertEquals(alice.uid(), uid(status));
    assertEquals(List.of("settings.json", "status.json"), names(status.getParent()));
    assertEquals(List.of(), names(bobDir));
    assertSecretUntouched();
  }

  @Test
  void writeFileOntoAPlantedDirectoryFailsAndLeavesNoTemporaryFile() throws Exception {
    asAlice("mkdir -p info/vm/web/status.json/inner");
    IOException e = assertThrows(IOException.class, () -> tree.writeFile("info/vm/web/status.json", new byte[1]));
    assertTrue(e.getMessage().startsWith("rename " + where("info/vm/web/status.json") + ": EISDIR"), e.getMessage());
    assertEquals(List.of("status.json"), names(root.resolve("info/vm/web")));
  }

  @Test
  void refusesAFifoPromptly() throws Exception {
    asAlice("mkfifo command/vm/web/start");
    assertTimeoutPreemptively(HANG_GUARD, () ->
        assertEquals(new ReadResult.Refused("is a FIFO; wirt accepts only regular files"), read("start")));
  }

  @Test
  void refusesASparseGigabyteFileWithoutReadingIt() throws Exception {
    asAlice("truncate -s 1G command/vm/web/start");
    assertTimeoutPreemptively(HANG_GUARD, () -> assertEquals(
        new ReadResult.Refused("is 1073741824 bytes; at most 65536 are accepted"), read("start")));
  }

  @Test
  void refusesAHardLinkToAFileTheUserDoesNotOwn() throws Exception {
    Path rootFile = Files.createTempFile(RealUsers.BASE, "root-owned", ".txt");
    Path protect = Path.of("/proc/sys/fs/protected_hardlinks");
    String saved = RealUsers.readSysctl(protect);
    try {
      RealUsers.root("chmod", "0644", rootFile.toString());
      RealUsers.writeSysctl(protect, "0");
      try {
        asAlice("ln " + rootFile + " command/vm/web/start");
      } finally {
        RealUsers.writeSysctl(protect, saved);
      }
      assertEquals(new ReadResult.Refused("is owned by uid 0, not by " + alice.name() + " (uid "
          + alice.uid() + ")"), read("start"));
    } finally {
      Files.deleteIfExists(rootFile);
    }
  }

  @Test
  void touchFileTouchesAPlantedSymlinkItselfNeverItsTarget() throws Exception {
    Files.setLastModifiedTime(secret, FileTime.fromMillis(2000));
    // The link's own time set long ago, so that touching it shows without waiting for the clock.
    asAlice("ln -s " + secret + " info/wirtd.json && touch -h -d @1000 info/wirtd.json");
    Path link = root.resolve("info/wirtd.json");
    FileTime before = Files.getLastModifiedTime(link, LinkOption.NOFOLLOW_LINKS);
    tree.touchFile("info/wirtd.json");
    assertTrue(Files.getLastModifiedTime(link, LinkOption.NOFOLLOW_LINKS).compareTo(before) > 0,
        "the link itself is touched");
    assertEquals(FileTime.fromMillis(2000), Files.getLastModifiedTime(secret));
    assertSecretUntouched();
  }

  @Test
  void touchFileCannotTouchAFileOfRootsLinkedIntoTheTree() throws Exception {
    // Linked in by root (protected_hardlinks stops a user): wirt touches as alice, who may not.
    Path rootFile = Files.createTempFile(RealUsers.BASE, "root-owned", ".txt");
    try {
      RealUsers.root("chmod", "0600", rootFile.toString());
      Files.setLastModifiedTime(rootFile, FileTime.fromMillis(3000));
      RealUsers.root("ln", rootFile.toString(), root.resolve("info/wirtd.json").toString());
      IOException e = assertThrows(IOException.class, () -> tree.touchFile("info/wirtd.json"));
      assertTrue(e.getMessage().startsWith("utimensat " + where("info/wirtd.json") + ": EACCES"), e.getMessage());
      assertEquals(FileTime.fromMillis(3000), Files.getLastModifiedTime(rootFile));
    } finally {
      Files.deleteIfExists(rootFile);
    }
  }

  @Test
  void refusesAHardLinkedFileOfTheUser() throws Exception {
    asAlice("echo > command/vm/web/.keep; ln command/vm/web/.keep command/vm/web/start");
    assertEquals(new ReadResult.Refused("has 2 hard links; a command file must have exactly one"), read("start"));
  }

  @Test
  void refusesAFileOwnedByAnotherUserNamingTheOwner() throws Exception {
    asAlice("echo > command/vm/web/start");
    RealUsers.root("chown", bob.name(), root.resolve("command/vm/web/start").toString());
    assertEquals(new ReadResult.Refused("is owned by uid " + bob.uid() + ", not by " + alice.name()
        + " (uid " + alice.uid() + ")"), read("start"));
  }

  @Test
  void cannotReadAFileTheUserMadeUnreadable() throws Exception {
    asAlice("echo secret > command/vm/web/start; chmod 0000 command/vm/web/start");
    // Root could read it (CAP_DAC_OVERRIDE); under alice's fsuid the kernel refuses.
    assertEquals(new ReadResult.Refused("cannot be read by " + alice.name()
        + " (EACCES); a command file must be readable by its owner"), read("start"));
  }

  @Test
  void listsAndRejectsNamesWithNewlinesAndInvalidUtf8() throws Exception {
    asAlice("cd command/vm/web; touch \"$(printf 'st\\nart')\" \"$(printf 'x\\377y')\"; mkfifo pipe;"
        + " ln -s " + secret + " link; cd ..; mkdir \"$(printf 'bad\\nvm')\"");
    List<Entry> entries = tree.listCommands("web");
    List<String> shown = entries.stream().map(e -> e.name().display()).sorted().toList();
    assertEquals(List.of("link", "pipe", "st\\x0aart", "x\\xffy"), shown);
    EntryName newline = new EntryName(new byte[] {'s', 't', '\n', 'a', 'r', 't'});
    EntryName invalid = new EntryName(new byte[] {'x', (byte) 0xff, 'y'});
    assertTrue(entries.stream().anyMatch(e -> e.name().equals(newline)));
    assertFalse(newline.text().isPresent());

    assertEquals("web.st%0Aart." + STAMP, tree.reject("web", newline));
    asAlice("touch \"command/vm/web/$(printf 'st\\nart')\"");
    assertEquals("web.st%0Aart." + STAMP + ".1", tree.reject("web", newline));
    assertEquals("web.x%FFy." + STAMP, tree.reject("web", invalid));
    assertEquals("web.pipe." + STAMP, tree.reject("web", EntryName.of("pipe")));
    assertEquals("web.link." + STAMP, tree.reject("web", EntryName.of("link")));
    assertEquals("bad%0Avm." + STAMP, tree.reject(null, new EntryName("bad\nvm".getBytes())));

    Path rejected = root.resolve("rejected");
    assertEquals(List.of("bad%0Avm." + STAMP, "web.link." + STAMP, "web.pipe." + STAMP,
        "web.st%0Aart." + STAMP, "web.st%0Aart." + STAMP + ".1", "web.x%FFy." + STAMP), names(rejected));
    assertTrue(Files.isSymbolicLink(rejected.resolve("web.link." + STAMP)));
    assertTrue(Files.isDirectory(rejected.resolve("bad%0Avm." + STAMP), LinkOption.NOFOLLOW_LINKS));
    assertEquals(List.of(), tree.listCommands("web"));
    assertEquals(List.of("web"), tree.listVmDirectories().stream().map(e -> e.name().display()).toList());
    assertSecretUntouched();
  }

  @Test
  void rejectRecreatesAMissingRejectedDirectoryAndReportsVanishedEntries() throws Exception {
    asAlice("rm -r rejected; ln -s " + bobDir + " rejected; touch command/vm/web/start");
    assertEquals("web.start." + STAMP, tree.reject("web", EntryName.of("start")));
    assertTrue(Files.isDirectory(root.resolve("rejected"), LinkOption.NOFOLLOW_LINKS));
    assertEquals(List.of(), names(bobDir));
    assertThrows(java.nio.file.NoSuchFileException.class, () -> tree.reject("web", EntryName.of("start")));
  }

  @ParameterizedTest
  @ValueSource(strings = {"mkfifo logs/history.log", "ln -s BOB/h logs/history.log",
      "echo > logs/.x; ln logs/.x logs/history.log"})
  void appendLineRefusesAPlantedFifoSymlinkOrHardLinkPromptly(String attack) throws Exception {
    asAlice(attack.replace("BOB", bobDir.toString()));
    IOException e = assertTimeoutPreemptively(HANG_GUARD, () -> assertThrows(IOException.class,
        () -> tree.appendLine("logs/history.log", "line\n".getBytes(), 1 << 20, 3)));
    String expected = switch (attack.split(" ")[0]) {
      case "mkfifo" -> where("logs/history.log") + " is a FIFO, not a regular file";
      case "ln" -> where("logs/history.log") + " is a symbolic link; wirt never follows links in a home"
          + " and needs a regular file there";
      default -> where("logs/history.log") + " has 2 hard links; a log file must have exactly one;"
          + " wirt does not write to it";
    };
    assertEquals(expected, e.getMessage());
    assertEquals(List.of(), names(bobDir));
  }
}
