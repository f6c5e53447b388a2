package org.wirt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.wirt.cli.ExitCode;
import org.wirt.posix.Nss;
import org.wirt.testing.Await;
import org.wirt.testing.RealUsers;
import org.wirt.testing.RealUsers.User;
import org.wirt.testing.WirtdFixture;
import org.wirt.wirtctl.Caller;
import org.wirt.wirtctl.WirtctlCommand;

/**
 * The old cron script's {@code ~/virsh/dom-<vm>/<verb>} (issue 15), served by a real wirtd on
 * {@code test:///default} for real users when {@code legacyTreeDir} is set: the same checks and
 * records as {@code ~/wirt/command/vm/<vm>/}, one order across both, nothing followed, and
 * {@code wirtctl migrate-tree} run for real as root.
 */
@Tag("root")
class LegacyTreeTest {
  private static final String ON = "\"legacyTreeDir\": \"virsh\",";

  private WirtdFixture h;

  @AfterEach
  void stop() throws Exception {
    if (h != null) {
      h.close();
    }
  }

  private User userWithWeb() throws Exception {
    User u = h.user();
    h.domain(u.name() + "-web", u, "web");
    return u;
  }

  private static Path dom(User u, String vm) {
    return u.home().resolve("virsh/dom-" + vm);
  }

  /** As the user, makes the old layout: {@code ~/virsh/{history,log,dom-<vm>}}. */
  private void oldLayout(User u, String vm) throws Exception {
    h.users.sh(u, "mkdir -p '" + dom(u, vm) + "' '" + u.home().resolve("virsh/history") + "' '"
        + u.home().resolve("virsh/log") + "' && touch '" + u.home().resolve("virsh/history/18_Feb_13_14.12-dom-"
        + vm + "-destroy") + "'");
  }

  /**
   * Proves that nothing older than now waits for the VM: a {@code status} written now in {@code
   * ~/wirt} is the VM's next history line. Commands of one VM run oldest first, so an older file
   * that wirtd would serve would have come first.
   */
  private void assertNothingElseServed(User u, int before) throws Exception {
    h.daemon().sweepNow();
    h.command(u, "web", "status", "");
    JsonNode line = h.awaitHistory(u, before + 1);
    assertEquals("status", line.get("verb").asText(), line.toString());
    assertEquals("ok", line.get("result").asText(), line.toString());
    h.daemon().sweepNow();
    assertEquals(before + 1, h.history(u).size(), h.history(u).toString());
  }

  @Test
  void aStartInVirshDomWebBootsTheVmWithTheSameRecords() throws Exception {
    h = new WirtdFixture("test:///default", ON);
    User alice = userWithWeb();
    h.start();
    oldLayout(alice, "web");
    h.users.run(alice, "touch", dom(alice, "web").resolve("start.t1").toString());
    JsonNode line = h.awaitHistory(alice, 1);
    assertEquals("ok", line.get("result").asText(), line.toString());
    assertEquals("start", line.get("verb").asText());
    assertEquals("t1", line.get("tag").asText());
    assertEquals("web", line.get("vm").asText());
    assertEquals(alice.name() + "-web", line.get("domain").asText());
    String message = line.get("message").asText();
    assertEquals("from ~" + alice.name() + "/virsh/dom-web/start.t1 (the old ~/virsh layout, served"
        + " until it is migrated: ask an admin to run `wirtctl migrate-tree " + alice.name() + "`, which"
        + " moves pending commands to ~" + alice.name() + "/wirt/command/vm/): started " + alice.name()
        + "-web", message);
    h.awaitState(alice, "web", "running");
    assertFalse(Files.exists(dom(alice, "web").resolve("start.t1")), "the file is consumed");
    Await.until("results/t1.json", () -> Files.exists(h.result(alice, "web", "t1")));
    String vmLog = Files.readString(h.tree(alice).resolve("logs/vm/web.log"));
    assertTrue(vmLog.contains("start.t1 ok") && vmLog.contains("wirtctl migrate-tree " + alice.name()), vmLog);
    assertTrue(h.audit().stream().anyMatch(a -> a.get("user").asText().equals(alice.name())
        && a.get("verb").asText().equals("start") && a.get("message").asText().equals(message)));
    // The cron script's history and logs are left alone.
    assertTrue(Files.exists(alice.home().resolve("virsh/history/18_Feb_13_14.12-dom-web-destroy")));

    // The notice is told once per user while wirtd runs, not at every command.
    h.users.run(alice, "touch", dom(alice, "web").resolve("destroy").toString());
    JsonNode second = h.awaitHistory(alice, 2);
    assertEquals("from ~" + alice.name() + "/virsh/dom-web/destroy: powered off " + alice.name() + "-web",
        second.get("message").asText(), second.toString());
    h.awaitState(alice, "web", "shutoff");
  }

  @Test
  void inotifyPicksUpTheOldLayoutWithoutASweep() throws Exception {
    // No periodic sweep during the test: only inotify can announce these files.
    h = new WirtdFixture("test:///default", ON + "\"sweepIntervalSeconds\": 3600,");
    User alice = userWithWeb();
    h.domain(alice.name() + "-db", alice, "db");
    oldLayout(alice, "web");
    h.start();
    h.users.run(alice, "touch", dom(alice, "web").resolve("start").toString());
    assertEquals("start", h.awaitHistory(alice, 1).get("verb").asText());
    // A dom- directory made after the sweep: the watch on ~/virsh announces it, then its file.
    h.users.sh(alice, "mkdir '" + dom(alice, "db") + "' && touch '" + dom(alice, "db") + "/start'");
    JsonNode db = h.awaitHistory(alice, 2);
    assertEquals("db", db.get("vm").asText(), db.toString());
    assertEquals("ok", db.get("result").asText(), db.toString());
  }

  @Test
  void theOldDirectoriesShareTheUsersWatchBudgetAndThoseLeftOverAreSwept() throws Exception {
    h = new WirtdFixture("test:///default", ON + "\"limits\": {\"watchesPerUser\": 2},");
    User alice = userWithWeb();
    for (String vm : List.of("a", "b", "c")) {
      h.domain(alice.name() + "-" + vm, alice, vm);
    }
    h.users.sh(alice, "mkdir -p '" + dom(alice, "a") + "' '" + dom(alice, "b") + "' '" + dom(alice, "c") + "'");
    h.start();
    h.daemon().sweepNow();
    // command/vm and ~/virsh themselves, and two VM directories: the tree's own four come first,
    // so none of the budget is left for the three dom- directories (uncapped: 2 + 4 + 3).
    assertEquals(4, h.daemon().overview().watches());
    for (String vm : List.of("a", "b", "c")) {
      h.users.run(alice, "touch", dom(alice, vm).resolve("start").toString());
    }
    h.awaitHistory(alice, 3);
    assertEquals(List.of("a", "b", "c"), h.history(alice).stream().map(l -> l.get("vm").asText()).sorted().toList(),
        "the unwatched ones are served by the sweep");
    assertEquals(4, h.daemon().overview().watches());
  }

  @Test
  void aUserWithOnlyVirshGetsATreeOfTheirOwn() throws Exception {
    h = new WirtdFixture("test:///default", ON);
    User carol = userWithWeb();
    h.users.run(carol, "rm", "-rf", h.tree(carol).toString());
    oldLayout(carol, "web");
    h.users.run(carol, "touch", dom(carol, "web").resolve("start").toString());
    h.start();
    JsonNode line = h.awaitHistory(carol, 1);
    assertEquals("ok", line.get("result").asText(), line.toString());
    assertEquals("start", line.get("verb").asText());
    assertEquals(carol.uid(), (int) Files.getAttribute(h.tree(carol), "unix:uid", LinkOption.NOFOLLOW_LINKS));
    assertTrue(Files.isDirectory(h.tree(carol).resolve("command/vm/web")));
    h.awaitState(carol, "web", "running");
  }

  @Test
  void offByDefault() throws Exception {
    h = new WirtdFixture();
    User alice = userWithWeb();
    oldLayout(alice, "web");
    h.users.run(alice, "touch", "-d", "2020-01-01", dom(alice, "web").resolve("start").toString());
    h.start();
    assertNothingElseServed(alice, 0);
    assertTrue(Files.exists(dom(alice, "web").resolve("start")), "~/virsh is not served");
    assertFalse(Files.exists(h.tree(alice).resolve("rejected/virsh.dom-web.start")));
  }

  @Test
  void oneOrderAcrossBothDirectoriesOneCommandAtATime() throws Exception {
    h = new WirtdFixture("test:///default", ON);
    User alice = userWithWeb();
    oldLayout(alice, "web");
    Path wirtWeb = h.tree(alice).resolve("command/vm/web");
    // Staged in hidden directories and renamed into place before wirtd starts: it sees them all
    // at once and must order them by time, across both directories.
    Path oldStaging = alice.home().resolve("virsh/.staging");
    Path newStaging = h.tree(alice).resolve("command/vm/.staging");
    h.users.sh(alice, "mkdir -p '" + oldStaging + "' '" + newStaging + "'"
        + " && touch -d '2020-01-01 00:00:01' '" + oldStaging + "/start.first'"
        + " && touch -d '2020-01-01 00:00:02' '" + newStaging + "/suspend.second'"
        + " && touch -d '2020-01-01 00:00:03' '" + oldStaging + "/resume.third'"
        + " && touch -d '2020-01-01 00:00:04' '" + newStaging + "/destroy.fourth'"
        + " && touch -d '2020-01-01 00:00:05' '" + oldStaging + "/status.fifth'"
        + " && rm -rf '" + dom(alice, "web") + "' && mv -T '" + oldStaging + "' '" + dom(alice, "web") + "'"
        + " && rm -rf '" + wirtWeb + "' && mv -T '" + newStaging + "' '" + wirtWeb + "'");
    h.start();
    h.awaitHistory(alice, 5);
    List<JsonNode> lines = h.history(alice);
    assertEquals(List.of("first", "second", "third", "fourth", "fifth"),
        lines.stream().map(l -> l.get("tag").asText()).toList(), lines.toString());
    assertTrue(lines.stream().allMatch(l -> l.get("result").asText().equals("ok")), lines.toString());
    assertTrue(lines.get(0).get("message").asText().startsWith("from ~" + alice.name() + "/virsh/dom-web/start.first"));
    assertEquals("paused " + alice.name() + "-web", lines.get(1).get("message").asText());
    assertTrue(lines.get(2).get("message").asText().startsWith("from ~" + alice.name() + "/virsh/dom-web/resume.third: "));
  }

  @Test
  void refusesHardLinkedSymlinkedAndFifoVerbFilesIntoTheTreesRejected() throws Exception {
    h = new WirtdFixture("test:///default", ON);
    User mallory = userWithWeb();
    Path secretDir = Files.createTempDirectory(Path.of("/root"), "wirt-legacy");
    try {
      Path secret = secretDir.resolve("start");
      Files.writeString(secret, "root's secret");
      RealUsers.root("chmod", "-R", "go-rwx", secretDir.toString());
      Files.setAttribute(secret, "lastAccessTime", FileTime.fromMillis(0));
      FileTime atime = (FileTime) Files.getAttribute(secret, "lastAccessTime");
      h.start();
      oldLayout(mallory, "web");
      Path web = dom(mallory, "web");
      h.users.sh(mallory, "cd '" + web + "' && touch -d '2020-01-01 00:00:01' '" + mallory.home()
          + "/own' && ln '" + mallory.home() + "/own' .start.tmp && mv .start.tmp start");
      JsonNode hard = h.awaitHistory(mallory, 1);
      assertEquals("rejected", hard.get("result").asText(), hard.toString());
      assertTrue(hard.get("message").asText().startsWith("~" + mallory.name() + "/virsh/dom-web/start: has 2"
          + " hard links; a command file must have exactly one (moved to rejected/virsh.dom-web.start."),
          hard.toString());
      h.users.run(mallory, "ln", "-s", secret.toString(), web.resolve("stop").toString());
      JsonNode link = h.awaitHistory(mallory, 2);
      assertTrue(link.get("message").asText().startsWith("~" + mallory.name() + "/virsh/dom-web/stop: is a"
          + " symbolic link; wirt accepts only regular files (moved to rejected/virsh.dom-web.stop."),
          link.toString());
      h.users.run(mallory, "mkfifo", web.resolve("destroy").toString());
      h.daemon().sweepNow();
      JsonNode fifo = h.awaitHistory(mallory, 3);
      assertTrue(fifo.get("message").asText().startsWith("~" + mallory.name()
          + "/virsh/dom-web/destroy: is a FIFO; wirt accepts only regular files"), fifo.toString());
      try (Stream<Path> rejected = Files.list(h.tree(mallory).resolve("rejected"))) {
        List<Path> moved = rejected.toList();
        assertEquals(3, moved.size(), moved.toString());
        assertTrue(moved.stream().anyMatch(Files::isSymbolicLink), "the link itself was moved");
      }
      try (Stream<Path> left = Files.list(web)) {
        assertEquals(List.of(), left.toList(), "nothing is left in dom-web");
      }
      Await.until("the refusals notified", () -> h.notified.size() >= 3);
      assertEquals(List.of(mallory.name() + "/web start rejected", mallory.name() + "/web stop rejected",
          mallory.name() + "/web destroy rejected"), h.notified, "mailed like any refusal");
      assertEquals(atime, Files.getAttribute(secret, "lastAccessTime"), "root's file was not read");
      assertEquals("root's secret", Files.readString(secret));
      assertNothingElseServed(mallory, 3);
    } finally {
      RealUsers.root("rm", "-rf", secretDir.toString());
    }
  }

  @Test
  void aVmThatIsNotTheUsersIsRefusedAsInTheTree() throws Exception {
    h = new WirtdFixture("test:///default", ON);
    User alice = userWithWeb();
    User bob = userWithWeb();
    h.domain(bob.name() + "-db", bob, "db");
    h.start();
    oldLayout(alice, "db");
    h.users.run(alice, "touch", dom(alice, "db").resolve("start").toString());
    JsonNode line = h.awaitHistory(alice, 1);
    assertEquals("rejected", line.get("result").asText(), line.toString());
    assertEquals("db", line.get("vm").asText());
    assertTrue(line.get("message").asText().startsWith("~" + alice.name() + "/virsh/dom-db/start: "),
        line.toString());
    assertTrue(line.get("message").asText().contains("wirtctl assign"), line.toString());
    // The VM log is written after the history line.
    Await.until("the refusal in logs/vm/db.log", () -> Files.exists(h.tree(alice).resolve("logs/vm/db.log")));
    h.awaitState(bob, "db", "shutoff");
    assertEquals(0, h.history(bob).size(), "bob's db was not touched");
  }

  @Test
  void aSymlinkedVirshOrDomDirectoryIsNeverFollowed() throws Exception {
    h = new WirtdFixture("test:///default", ON);
    User mallory = userWithWeb();
    User bob = userWithWeb();
    // A directory of bob's that anyone may read and write, holding what looks like commands.
    Path open = bob.home().resolve("open");
    h.users.sh(bob, "chmod 0711 '" + bob.home() + "' && mkdir -m 0777 '" + open + "' && mkdir -m 0777 '"
        + open + "/dom-web' && touch -d 2020-01-01 '" + open + "/dom-web/start' && chmod 0666 '"
        + open + "/dom-web/start'");
    h.users.run(mallory, "ln", "-s", open.toString(), mallory.home().resolve("virsh").toString());
    h.start();
    assertNothingElseServed(mallory, 0);
    assertTrue(Files.exists(open.resolve("dom-web/start")), "bob's file is untouched");
    assertTrue(Files.isSymbolicLink(mallory.home().resolve("virsh")), "the link is left, not followed");

    // Now a real ~/virsh whose dom-web is the link.
    h.users.sh(mallory, "rm '" + mallory.home().resolve("virsh") + "' && mkdir '"
        + mallory.home().resolve("virsh") + "' && ln -s '" + open.resolve("dom-web") + "' '" + dom(mallory, "web") + "'");
    assertNothingElseServed(mallory, 1);
    assertTrue(Files.exists(open.resolve("dom-web/start")), "bob's file is untouched");
    assertTrue(Files.isSymbolicLink(dom(mallory, "web")), "the link is left, not followed");
    try (Stream<Path> rejected = Files.list(h.tree(mallory).resolve("rejected"))) {
      assertEquals(List.of(), rejected.toList(), "nothing of bob's was moved into mallory's tree");
    }
  }

  @Test
  void migrateTreeMovesPendingCommandsWhichAreServedOnce() throws Exception {
    h = new WirtdFixture("test:///default", ON);
    User alice = userWithWeb();
    h.users.run(alice, "rm", "-rf", h.tree(alice).toString());
    oldLayout(alice, "web");
    h.users.sh(alice, "touch -d '2020-01-01 00:00:01' '" + dom(alice, "web") + "/start.one'"
        + " && touch -d '2020-01-01 00:00:02' '" + dom(alice, "web") + "/status.two'");
    h.users.run(alice, "ln", "-s", "/etc", dom(alice, "etc").toString());

    FileTime startTime = Files.getLastModifiedTime(dom(alice, "web").resolve("start.one"));
    Run dry = wirtctl("--config", h.configFile().toString(), "migrate-tree", "--dry-run", alice.name());
    assertEquals(ExitCode.OK, dry.code(), dry.toString());
    assertTrue(dry.out().contains("would move ~" + alice.name() + "/virsh/dom-web/start.one -> ~"
        + alice.name() + "/wirt/command/vm/web/start.one"), dry.out());
    assertFalse(Files.exists(h.tree(alice)), "a dry run changes nothing");

    Run run = wirtctl("--config", h.configFile().toString(), "migrate-tree", alice.name());
    assertEquals(ExitCode.OK, run.code(), run.toString());
    String a = "~" + alice.name();
    assertEquals("created " + a + "/wirt\n"
        + "skipped " + a + "/virsh/dom-etc: is a symbolic link, not a directory; not followed\n"
        + "moved " + a + "/virsh/dom-web/start.one -> " + a + "/wirt/command/vm/web/start.one\n"
        + "moved " + a + "/virsh/dom-web/status.two -> " + a + "/wirt/command/vm/web/status.two\n"
        + "renamed " + a + "/virsh -> " + a + "/virsh.migrated (its history and logs inside); it is no longer served\n"
        + "2 commands moved for " + alice.name() + "\n", run.out());
    Path moved = h.tree(alice).resolve("command/vm/web/start.one");
    assertEquals(alice.uid(), (int) Files.getAttribute(moved, "unix:uid"));
    assertEquals(startTime, Files.getLastModifiedTime(moved), "the time is kept");
    assertTrue(Files.isSymbolicLink(alice.home().resolve("virsh.migrated/dom-etc")));
    assertTrue(Files.exists(alice.home().resolve("virsh.migrated/history/18_Feb_13_14.12-dom-web-destroy")));
    assertFalse(Files.exists(alice.home().resolve("virsh")));
    assertTrue(Files.exists(Path.of("/etc/passwd")), "nothing of /etc was touched");

    h.start();
    h.awaitHistory(alice, 2);
    assertNothingElseServed(alice, 2);
    List<JsonNode> lines = h.history(alice);
    assertEquals(List.of("one", "two", "status"), lines.stream()
        .map(l -> l.path("tag").isTextual() ? l.get("tag").asText() : l.get("verb").asText()).toList());
    assertEquals("started " + alice.name() + "-web", lines.get(0).get("message").asText(), "served from ~/wirt");

    Run again = wirtctl("--config", h.configFile().toString(), "migrate-tree", alice.name());
    assertEquals(ExitCode.OK, again.code(), again.toString());
    assertEquals("nothing to do: " + a + "/virsh does not exist\n0 commands moved for " + alice.name() + "\n",
        again.out());
  }

  @Test
  void migratingWhileWirtdServesRunsEveryCommandExactlyOnce() throws Exception {
    h = new WirtdFixture("test:///default", ON);
    User alice = userWithWeb();
    oldLayout(alice, "web");
    Path staging = alice.home().resolve("virsh/.staging");
    h.users.sh(alice, "mkdir '" + staging + "' && cd '" + staging + "' && for i in $(seq 1 60); do"
        + " touch -d @$((1577836800 + i)) status.s$i; done && cd .. && rm -rf dom-web"
        + " && mv -T .staging dom-web");
    h.start();
    // wirtd serves from ~/virsh while the files move away under it.
    Run run = wirtctl("--config", h.configFile().toString(), "migrate-tree", alice.name());
    assertEquals(ExitCode.OK, run.code(), run.toString());
    h.awaitHistory(alice, 60);
    h.daemon().sweepNow();
    assertNothingElseServed(alice, 60);
    List<String> tags = h.history(alice).stream().limit(60).map(l -> l.get("tag").asText()).toList();
    assertEquals(java.util.stream.IntStream.rangeClosed(1, 60).mapToObj(n -> "s" + n).toList(), tags,
        "each once, oldest first, wherever it was when it ran");
    assertFalse(Files.exists(alice.home().resolve("virsh")));
  }

  @Test
  void migrateTreeFollowsNoLinkAndReplacesNothing() throws Exception {
    h = new WirtdFixture("test:///default", ON);
    User mallory = userWithWeb();
    User bob = userWithWeb();
    // bob's home holds a command file of his and a directory anyone may write.
    Path open = bob.home().resolve("open");
    h.users.sh(bob, "chmod 0711 '" + bob.home() + "' && mkdir -m 0777 '" + open + "' && mkdir -p '"
        + bob.home().resolve("virsh/dom-db") + "' && chmod -R 0777 '" + bob.home().resolve("virsh")
        + "' && touch '" + bob.home().resolve("virsh/dom-db/start") + "' && chmod 0666 '"
        + bob.home().resolve("virsh/dom-db/start") + "'");
    String m = "~" + mallory.name();

    // ~/virsh a link to bob's: refused, nothing done.
    h.users.run(mallory, "ln", "-s", bob.home().resolve("virsh").toString(), mallory.home().resolve("virsh").toString());
    Run linked = wirtctl("--config", h.configFile().toString(), "migrate-tree", mallory.name());
    assertEquals(ExitCode.FAILED, linked.code(), linked.toString());
    assertEquals("wirtctl migrate-tree: " + m + "/virsh is a symbolic link; wirt never follows links in a"
        + " home and needs a directory there; nothing more done\n", linked.err());
    assertTrue(Files.exists(bob.home().resolve("virsh/dom-db/start")), "bob's command stays");
    assertTrue(Files.isSymbolicLink(mallory.home().resolve("virsh")));

    // A real ~/virsh: dom- links to bob's directories and /etc, a verb file linked to /etc/shadow,
    // ~/wirt/command/vm/web a link to bob's open directory, and a file already in place.
    h.users.sh(mallory, "rm '" + mallory.home().resolve("virsh") + "' && mkdir -p '" + dom(mallory, "web")
        + "' '" + h.tree(mallory).resolve("command/vm/db") + "' '" + dom(mallory, "db") + "'"
        + " && ln -s '" + bob.home().resolve("virsh/dom-db") + "' '" + dom(mallory, "bobs") + "'"
        + " && ln -s /etc '" + dom(mallory, "etc") + "'"
        + " && ln -s /etc/shadow '" + dom(mallory, "web") + "/stop'"
        + " && touch '" + dom(mallory, "web") + "/start' '" + dom(mallory, "db") + "/start'"
        + " && touch '" + h.tree(mallory).resolve("command/vm/db/start") + "'"
        + " && rm -rf '" + h.tree(mallory).resolve("command/vm/web") + "' && ln -s '" + open + "' '"
        + h.tree(mallory).resolve("command/vm/web") + "'");
    Run run = wirtctl("--config", h.configFile().toString(), "migrate-tree", mallory.name());
    assertEquals(ExitCode.FAILED, run.code(), run.toString());
    assertEquals("skipped " + m + "/virsh/dom-bobs: is a symbolic link, not a directory; not followed\n"
        + "kept " + m + "/virsh/dom-db/start: " + m + "/wirt/command/vm/db/start exists and is not replaced\n"
        + "skipped " + m + "/virsh/dom-etc: is a symbolic link, not a directory; not followed\n"
        + "skipped " + m + "/virsh/dom-web/stop: is a symbolic link; wirt accepts only regular files\n"
        + "moved " + m + "/virsh/dom-web/start -> " + m + "/wirt/command/vm/web/start\n", run.out());
    assertEquals("wirtctl migrate-tree: 1 pending command was not moved; " + m + "/virsh stays and is still"
        + " served; see above, then run migrate-tree again\n", run.err());
    try (Stream<Path> inOpen = Files.list(open)) {
      assertEquals(List.of(), inOpen.toList(), "nothing was moved into bob's directory");
    }
    assertTrue(Files.isDirectory(h.tree(mallory).resolve("command/vm/web"), LinkOption.NOFOLLOW_LINKS),
        "the link in mallory's tree was replaced by her own directory");
    assertTrue(Files.exists(h.tree(mallory).resolve("command/vm/web/start")));
    assertTrue(Files.exists(bob.home().resolve("virsh/dom-db/start")), "bob's command stays");
    assertTrue(Files.exists(dom(mallory, "db").resolve("start")), "the file in the way is not replaced");
    assertTrue(Files.isSymbolicLink(dom(mallory, "web").resolve("stop")), "the link stays where it was");
    assertTrue(Files.isDirectory(mallory.home().resolve("virsh"), LinkOption.NOFOLLOW_LINKS), "~/virsh stays");
    assertEquals(0, (int) Files.getAttribute(Path.of("/etc/shadow"), "unix:uid"));
    assertTrue(Files.exists(Path.of("/etc/shadow")), "nothing of /etc was moved");
  }

  @Test
  void migrateTreeRefusesWhomWirtDoesNotServe() throws Exception {
    h = new WirtdFixture("test:///default", ON);
    userWithWeb();
    Run root = wirtctl("--config", h.configFile().toString(), "migrate-tree", "root");
    assertEquals(ExitCode.FAILED, root.code(), root.toString());
    assertEquals("wirtctl migrate-tree: root is not served by wirt (not in the configuration's users);"
        + " nothing done\n", root.err());
    Run odd = wirtctl("--config", h.configFile().toString(), "migrate-tree", "../etc");
    assertEquals(ExitCode.USAGE, odd.code(), odd.toString());
    assertEquals("wirtctl migrate-tree: '../etc' is not a user name\n", odd.err());
  }

  private record Run(ExitCode code, String out, String err) {}

  private static Run wirtctl(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    ExitCode code = WirtctlCommand.run(Caller.root(Nss.system()), new PrintWriter(out, true),
        new PrintWriter(err, true), args);
    return new Run(code, out.toString(), err.toString());
  }
}
