package org.wirt.tree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.wirt.testing.RealUsers;

/** The old layout's {@code ~/virsh} (issue 15) opened for a real user, as wirtd does. */
@Tag("root")
class LegacyTreeFilesTest extends RealTreeFixture {
  private Path virsh;
  private HomeTree withLegacy;
  private LegacyTree legacy;

  @BeforeEach
  void freshVirsh() throws IOException {
    virsh = alice.home().resolve("virsh");
    RealUsers.root("rm", "-rf", virsh.toString(), alice.home().resolve("virsh.migrated").toString());
    withLegacy = new HomeTree(alice.identity(), alice.home(), "wirt", Clock.fixed(NOW, ZoneOffset.UTC), "virsh");
    legacy = withLegacy.legacy().orElseThrow();
  }

  private void asAliceHome(String script) throws IOException {
    users.sh(alice, "set -e; cd " + alice.home() + "; " + script);
  }

  private FileFacts facts(String vm, String name) throws IOException {
    return ((ReadResult.Content) legacy.readCommand(vm, EntryName.of(name), 4096)).facts();
  }

  @Test
  void theOldDirectoryIsServedOnlyWhenItIsARealDirectoryOfTheUsers() throws IOException {
    assertEquals(new LegacyTree.Presence(LegacyTree.State.ABSENT, null), legacy.presence());
    asAliceHome("mkdir virsh");
    assertEquals(new LegacyTree.Presence(LegacyTree.State.USABLE, null), legacy.presence());
    asAliceHome("rmdir virsh && ln -s " + bob.home() + " virsh");
    assertEquals(new LegacyTree.Presence(LegacyTree.State.REFUSED, "~" + alice.name() + "/virsh is a"
        + " symbolic link; wirt never follows links in a home and needs a directory there"), legacy.presence());
    asAliceHome("rm virsh");
    RealUsers.root("mkdir", virsh.toString());
    RealUsers.root("chown", bob.name(), virsh.toString());
    assertEquals(new LegacyTree.Presence(LegacyTree.State.REFUSED, "~" + alice.name() + "/virsh is owned by"
        + " uid " + bob.uid() + ", not by " + alice.name() + " (uid " + alice.uid() + "); wirt serves only an"
        + " old directory the user owns"), legacy.presence());
    assertEquals(LegacyTree.State.REFUSED, legacy.scanVmDirectories(n -> true).presence().state());
    assertEquals(List.of(), legacy.scanVmDirectories(n -> true).directories());
  }

  @Test
  void aScanListsTheDomDirectoriesAndWhetherTheyHoldCommands() throws IOException {
    asAliceHome("mkdir -p virsh/dom-web virsh/dom-db virsh/dom-idle virsh/history virsh/log"
        + " && touch virsh/dom-web/start virsh/dom-idle/.start.tmp virsh/history/x"
        + " && ln -s " + root + "/command/vm/web virsh/dom-link");
    LegacyTree.Scan scan = legacy.scanVmDirectories(n -> !n.display().equals("dom-db"));
    assertEquals(LegacyTree.State.USABLE, scan.presence().state());
    Map<String, String> found = scan.directories().stream().collect(Collectors.toMap(
        d -> d.entry().name().display(), d -> d.entry().type() + " " + d.hasCommands()));
    assertEquals(Map.of("dom-web", "DIRECTORY true", "dom-db", "DIRECTORY false",
        "dom-idle", "DIRECTORY false", "dom-link", "SYMLINK false"), found);
    assertTrue(legacy.hasCommands("web"));
    assertFalse(legacy.hasCommands("idle"));
    assertThrows(NotADirectoryException.class, () -> legacy.hasCommands("link"));
  }

  @Test
  void commandsAreReadAndRemovedOnlyAsTheFileThatWasRead() throws IOException {
    asAliceHome("mkdir -p virsh/dom-web && printf force > virsh/dom-web/stop && touch -d 2020-01-01 virsh/dom-web/start");
    HomeTree.Listing listing = legacy.oldestCommands("web", 10,
        Comparator.comparingLong(Entry::mtimeNanos));
    assertEquals(List.of("start", "stop"), listing.oldest().stream().map(e -> e.name().display()).toList());
    ReadResult stop = legacy.readCommand("web", EntryName.of("stop"), 4096);
    assertEquals("force", new String(((ReadResult.Content) stop).bytes()));
    FileFacts first = facts("web", "stop");
    asAliceHome("touch virsh/dom-web/.new && mv virsh/dom-web/.new virsh/dom-web/stop");
    assertFalse(legacy.removeCommand("web", EntryName.of("stop"), first), "a new file of the same name stays");
    assertTrue(Files.exists(virsh.resolve("dom-web/stop")));
    assertTrue(legacy.removeCommand("web", EntryName.of("stop"), facts("web", "stop")));
    assertFalse(Files.exists(virsh.resolve("dom-web/stop")));
    assertFalse(legacy.removeCommand("gone", EntryName.of("stop"), first), "a missing dom- directory is no error");
  }

  @Test
  void aClaimedOldFileIsFoundByItsInodeWhereverItIs() throws IOException {
    // Recovery after a crash knows the claimed file's name and inode, not its directory.
    asAliceHome("mkdir -p virsh/dom-web && touch virsh/dom-web/start wirt/command/vm/web/start");
    FileFacts old = facts("web", "start");
    assertTrue(withLegacy.removeCommand("web", EntryName.of("start"), old));
    assertFalse(Files.exists(virsh.resolve("dom-web/start")));
    assertTrue(Files.exists(root.resolve("command/vm/web/start")), "the tree's file of that name is another");
  }

  @Test
  void aRefusedOldEntryIsMovedIntoTheTreesRejected() throws IOException {
    asAliceHome("mkdir -p virsh/dom-web && ln -s /etc/shadow virsh/dom-web/stop");
    ReadResult read = legacy.readCommand("web", EntryName.of("stop"), 4096);
    assertEquals("is a symbolic link; wirt accepts only regular files", ((ReadResult.Refused) read).problem());
    assertEquals("virsh.dom-web.stop." + STAMP, legacy.reject("web", EntryName.of("stop")));
    assertTrue(Files.isSymbolicLink(root.resolve("rejected/virsh.dom-web.stop." + STAMP)));
    assertEquals(List.of(), names(virsh.resolve("dom-web")));
    assertInstanceOf(NoSuchFileException.class,
        assertThrows(IOException.class, () -> legacy.reject("web", EntryName.of("stop"))));
  }

  @Test
  void theTreeRootIsCreatedAsTheUserAndNothingIsCreatedThroughALink() throws IOException {
    RealUsers.root("rm", "-rf", root.toString());
    assertTrue(legacy.createTreeRoot());
    assertEquals(alice.uid(), uid(root));
    assertEquals(0700, mode(root));
    assertFalse(legacy.createTreeRoot(), "there already");
    Path open = bob.home().resolve("open-" + alice.name());
    users.run(bob, "chmod", "0755", bob.home().toString());
    users.run(bob, "mkdir", "-m", "0777", open.toString());
    try {
      RealUsers.root("rm", "-rf", root.toString());
      asAliceHome("ln -s " + open + " wirt");
      assertFalse(legacy.createTreeRoot());
      assertFalse(withLegacy.exists(), "a linked tree is not the user's tree");
      assertEquals(List.of(), names(open));
    } finally {
      RealUsers.root("rm", "-rf", open.toString(), root.toString());
    }
  }

  @Test
  void aMigrationOfMoreFilesThanOneListingTakesTwoPassesAndRetiresTheOldDirectoryOnlyAtTheEnd() throws IOException {
    asAliceHome("mkdir -p virsh/dom-web && cd virsh/dom-web && for i in $(seq 1 4100); do : > status.t$i; done");
    LegacyMigration.Report first = legacy.migrate(org.wirt.command.Names::isVm, false);
    assertEquals(4096, first.moved());
    assertEquals(1, first.left());
    assertFalse(first.retired());
    assertEquals("kept the rest of ~" + alice.name() + "/virsh/dom-web: more than 4096 names, of which the"
        + " first are done; run migrate-tree again", first.lines().get(0));
    assertTrue(Files.isDirectory(virsh), "~/virsh stays while commands wait in it");
    LegacyMigration.Report second = legacy.migrate(org.wirt.command.Names::isVm, false);
    assertEquals(4, second.moved());
    assertEquals(0, second.left());
    assertTrue(second.retired());
    assertEquals(4100, names(root.resolve("command/vm/web")).size());
    assertEquals(List.of(), names(alice.home().resolve("virsh.migrated/dom-web")));
    assertEquals(alice.uid(), uid(alice.home().resolve("virsh.migrated")));
  }
}
