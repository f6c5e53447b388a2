package org.wirt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.wirt.testing.Await;
import org.wirt.testing.RealUsers.User;
import org.wirt.testing.RealUsers;
import org.wirt.testing.WirtdFixture;

/**
 * Attacks by a real user (mallory) on the root daemon. Each proves that the entry is refused with a
 * clear record, that nothing outside mallory's tree was read or written, and that the daemon goes
 * on serving another user (bob).
 */
@Tag("root")
class AttackTest {
  private WirtdFixture h;
  private User mallory;
  private User bob;
  private Path secretDir;
  private Path secret;
  private FileTime secretAtime;

  @BeforeEach
  void start() throws Exception {
    h = new WirtdFixture();
    mallory = h.user();
    bob = h.user();
    h.domain(mallory.name() + "-web", mallory, "web");
    h.domain(bob.name() + "-web", bob, "web");
    h.domain(bob.name() + "-db", bob, "db");
    // Root's own files, which mallory will point wirtd at. An access time far in the past shows
    // any read (relatime updates an atime older than the mtime or a day).
    secretDir = Files.createTempDirectory(Path.of("/root"), "wirt-attack");
    Files.createDirectories(secretDir.resolve("vm/web"));
    secret = secretDir.resolve("vm/web/start");
    Files.writeString(secret, "root's secret");
    RealUsers.root("chmod", "-R", "go-rwx", secretDir.toString());
    Files.setAttribute(secret, "lastAccessTime", FileTime.fromMillis(0));
    secretAtime = (FileTime) Files.getAttribute(secret, "lastAccessTime");
    h.start();
  }

  @AfterEach
  void stop() throws Exception {
    try {
      assertRootFilesUntouched();
    } finally {
      h.close();
      RealUsers.root("rm", "-rf", secretDir.toString());
    }
  }

  private void assertRootFilesUntouched() throws Exception {
    assertTrue(Files.exists(secret), "root's file is still there");
    assertEquals("root's secret", Files.readString(secret));
    // Reading it just now updated nothing that matters: compare with the time before the test.
    try (Stream<Path> files = Files.walk(secretDir)) {
      assertEquals(4, files.count(), "nothing was added to or moved out of root's directory");
    }
  }

  private void assertBobStillServed() throws Exception {
    int before = h.history(bob).size();
    h.touch(bob, "web", "status");
    JsonNode line = h.awaitHistory(bob, before + 1);
    assertEquals("ok", line.get("result").asText(), line.toString());
  }

  private JsonNode rejection(int n) throws Exception {
    JsonNode line = h.awaitHistory(mallory, n);
    assertEquals("rejected", line.get("result").asText(), line.toString());
    return line;
  }

  private Path vmDir() {
    return h.tree(mallory).resolve("command/vm/web");
  }

  @Test
  void refusesSymlinkedCommandFileToARootOnlyFile() throws Exception {
    h.users.run(mallory, "ln", "-s", secret.toString(), vmDir().resolve("start").toString());
    JsonNode line = rejection(1);
    assertTrue(line.get("message").asText().startsWith(
        "command/vm/web/start: is a symbolic link; wirt accepts only regular files (moved to rejected/"),
        line.toString());
    assertEquals(secretAtime, Files.getAttribute(secret, "lastAccessTime"), "root's file was not read");
    try (Stream<Path> rejected = Files.list(h.tree(mallory).resolve("rejected"))) {
      Path moved = rejected.findFirst().orElseThrow();
      assertTrue(Files.isSymbolicLink(moved), "the link itself was moved, not what it points to");
    }
    assertBobStillServed();
  }

  @Test
  void refusesAVmDirectorySymlinkedToRootsOrAnotherUsersDirectory() throws Exception {
    Path bobsVm = h.tree(bob).resolve("command/vm/web");
    h.users.run(mallory, "ln", "-s", secretDir.resolve("vm/web").toString(),
        h.tree(mallory).resolve("command/vm/evil").toString());
    h.users.run(mallory, "ln", "-s", bobsVm.toString(),
        h.tree(mallory).resolve("command/vm/bobs").toString());
    JsonNode first = rejection(1);
    JsonNode second = rejection(2);
    String both = first.get("message").asText() + "\n" + second.get("message").asText();
    assertTrue(both.contains("command/vm/evil: is a symbolic link, not a directory"), both);
    assertTrue(both.contains("command/vm/bobs: is a symbolic link, not a directory"), both);
    assertEquals(secretAtime, Files.getAttribute(secret, "lastAccessTime"));
    assertBobStillServed();
  }

  @Test
  void replacesASymlinkedOwnedVmDirectoryWithoutFollowingIt() throws Exception {
    h.plantLink(mallory, vmDir(), secretDir.resolve("vm/web"));
    h.daemon().sweepNow();
    Await.until("command/vm/web is a real directory again",
        () -> Files.isDirectory(vmDir(), java.nio.file.LinkOption.NOFOLLOW_LINKS));
    assertEquals(secretAtime, Files.getAttribute(secret, "lastAccessTime"));
    assertTrue(h.history(mallory).stream().noneMatch(l -> l.get("verb").asText().equals("start")),
        "root's start file was not taken as mallory's command");
    assertBobStillServed();
  }

  @Test
  void refusesToFollowASymlinkedCommandDirectory() throws Exception {
    Path command = h.tree(mallory).resolve("command");
    h.plantLink(mallory, command, secretDir);
    h.daemon().sweepNow();
    Await.until("command/ is a real directory again",
        () -> Files.isDirectory(command, java.nio.file.LinkOption.NOFOLLOW_LINKS));
    assertEquals(secretAtime, Files.getAttribute(secret, "lastAccessTime"));
    assertTrue(h.history(mallory).stream().noneMatch(l -> l.get("verb").asText().equals("start")));
    assertBobStillServed();
  }

  @Test
  void doesNotWriteThroughSymlinkedInfoOrLogs() throws Exception {
    // A directory of bob's that anyone may write: only wirtd's refusal to follow links keeps
    // mallory's records out of it.
    Path open = bob.home().resolve("open");
    h.users.sh(bob, "mkdir -m 0777 '" + open + "' && chmod 0711 '" + bob.home() + "'");
    Path tree = h.tree(mallory);
    h.plantLink(mallory, tree.resolve("info"), open);
    h.plantLink(mallory, tree.resolve("logs"), open);
    h.touch(mallory, "web", "start");
    Await.until("the start ran", () -> !Files.exists(vmDir().resolve("start")));
    h.daemon().sweepNow();
    try (Stream<Path> files = Files.list(open)) {
      assertEquals(List.of(), files.toList(), "nothing was written into bob's directory");
    }
    assertFalse(Files.isSymbolicLink(tree.resolve("info")), "the skeleton was repaired");
    assertFalse(Files.isSymbolicLink(tree.resolve("logs")));
    h.touch(mallory, "web", "status");
    assertEquals("ok", h.awaitHistory(mallory, 1).get("result").asText());
    assertBobStillServed();
  }

  @Test
  void refusesAFifoWithoutBlocking() throws Exception {
    h.users.run(mallory, "mkfifo", vmDir().resolve("start").toString());
    h.daemon().sweepNow();
    JsonNode line = rejection(1);
    assertTrue(line.get("message").asText().startsWith("command/vm/web/start: is a FIFO; wirt accepts only regular files"),
        line.toString());
    assertBobStillServed();
  }

  @Test
  void refusesASparseGigabyteFileWithoutReadingIt() throws Exception {
    h.users.run(mallory, "truncate", "-s", "1G", vmDir().resolve("start").toString());
    h.daemon().sweepNow();
    JsonNode line = rejection(1);
    assertTrue(line.get("message").asText().startsWith(
        "command/vm/web/start: is 1073741824 bytes; at most 4096 are accepted"), line.toString());
    assertBobStillServed();
  }

  @Test
  void refusesAHardLinkToAFileMalloryDoesNotOwn() throws Exception {
    Path rootFile = RealUsers.BASE.resolve("root-owned-" + mallory.name());
    Files.writeString(rootFile, "");
    Path sysctl = Path.of("/proc/sys/fs/protected_hardlinks");
    String before = RealUsers.readSysctl(sysctl);
    try {
      RealUsers.writeSysctl(sysctl, "0");
      h.users.run(mallory, "ln", rootFile.toString(), vmDir().resolve("start").toString());
    } finally {
      RealUsers.writeSysctl(sysctl, before);
    }
    h.daemon().sweepNow();
    JsonNode line = rejection(1);
    assertTrue(line.get("message").asText().startsWith("command/vm/web/start: is owned by uid 0, not by "
        + mallory.name()), line.toString());
    assertTrue(Files.exists(rootFile), "root's file is untouched");
    Files.delete(rootFile);
    assertBobStillServed();
  }

  @Test
  void refusesAFileOwnedByAnotherUser() throws Exception {
    // Made under a name wirtd ignores, then renamed into place, so it is bob's when wirtd looks.
    Path hidden = vmDir().resolve(".start.tmp");
    RealUsers.root("sh", "-c", "touch '" + hidden + "' && chown " + bob.name() + " '" + hidden
        + "' && mv '" + hidden + "' '" + vmDir().resolve("start") + "'");
    JsonNode line = rejection(1);
    assertTrue(line.get("message").asText().startsWith("command/vm/web/start: is owned by uid "
        + bob.uid() + ", not by " + mallory.name() + " (uid " + mallory.uid() + ")"), line.toString());
    assertBobStillServed();
  }

  @Test
  void refusesNamesWithNewlinesAndInvalidUtf8EscapingThemEverywhere() throws Exception {
    h.users.sh(mallory, "cd '" + vmDir() + "' && touch \"$(printf 'start\\nfake')\" \"$(printf '\\377\\376')\"");
    h.daemon().sweepNow();
    rejection(1);
    rejection(2);
    String history = Files.readString(h.tree(mallory).resolve("logs/history.log"));
    assertEquals(2, history.lines().count(), "each record is one line: " + history);
    assertTrue(history.contains("start\\\\x0afake"), history);
    assertTrue(history.contains("\\\\xff\\\\xfe"), history);
    String audit = Files.readString(h.logDir.resolve("audit.log"));
    assertEquals(2, audit.lines().count(), audit);
    try (Stream<Path> rejected = Files.list(h.tree(mallory).resolve("rejected"))) {
      assertTrue(rejected.allMatch(p -> p.getFileName().toString().matches("[A-Za-z0-9._%-]+")));
    }
    assertBobStillServed();
  }

  @Test
  void escapesControlLineSeparatorAndBidiCharactersOfContentInEveryRecord() throws Exception {
    // U+202E (right-to-left override), U+2028 (line separator), U+0085 (C1 next line), as UTF-8.
    h.users.sh(mallory, "printf 'timeout=\\342\\200\\256\\342\\200\\250\\302\\205x' > '"
        + vmDir().resolve(".stop.tmp") + "' && mv '" + vmDir().resolve(".stop.tmp") + "' '"
        + vmDir().resolve("stop") + "'");
    JsonNode line = rejection(1);
    assertTrue(line.get("message").asText().contains("'\\xe2\\x80\\xae\\xe2\\x80\\xa8\\xc2\\x85x'"),
        line.toString());
    // The VM log line is written last, after the history line and the audit record.
    Path vmLog = h.tree(mallory).resolve("logs/vm/web.log");
    Await.until("the record in " + vmLog, () -> !Files.readString(vmLog).isEmpty());
    for (Path record : List.of(h.tree(mallory).resolve("logs/history.log"),
        h.tree(mallory).resolve("logs/vm/web.log"), h.logDir.resolve("audit.log"))) {
      String text = Files.readString(record);
      // JSON records double the backslash; the VM log shows it once.
      assertTrue(text.replace("\\\\", "\\").contains("\\xe2\\x80\\xae"), record + ": " + text);
      assertTrue(text.codePoints().noneMatch(c -> c == 0x202e || c == 0x2028 || c == 0x85),
          record + " holds a raw control, separator or bidi character: " + text);
      assertEquals(text.lines().count(), text.split("\n", -1).length - 1L,
          record + ": one record per line");
    }
    assertBobStillServed();
  }

  @Test
  void refusesAVmOfAnotherUserWhateverTheDirectoryIsCalled() throws Exception {
    h.touch(mallory, "db", "start");
    h.touch(mallory, bob.name() + "-db", "start");
    List<String> messages = List.of(rejection(1), rejection(2)).stream()
        .map(l -> l.get("message").asText()).sorted().toList();
    assertTrue(messages.stream().anyMatch(m -> m.startsWith("command/vm/db/start: VM 'db' is not yours: "
        + "no domain carries owner metadata for " + mallory.name() + "/db; ask an admin to run "
        + "`wirtctl assign <domain> " + mallory.name() + " db`")), messages.toString());
    assertTrue(messages.stream().anyMatch(m -> m.startsWith("command/vm/" + bob.name() + "-db/start: VM '"
        + bob.name() + "-db' is not yours")), messages.toString());
    assertEquals("shutoff", h.status(bob, "db").get("state").asText());
    assertBobStillServed();
  }
}
