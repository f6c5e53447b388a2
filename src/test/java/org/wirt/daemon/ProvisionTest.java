package org.wirt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.hypervisor.Storage;
import org.wirt.testing.Await;
import org.wirt.testing.RealUsers.User;
import org.wirt.testing.RealUsers;
import org.wirt.testing.WirtdFixture;

/**
 * create, delete and quotas through the whole daemon on libvirt's test driver (whose volumes are
 * bookkeeping only), serving real users who write real files.
 */
@Tag("root")
class ProvisionTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGtlc3Q alice@laptop";
  private Path dir;
  private Path images;
  private Path vms;
  private String vmPool;
  private WirtdFixture h;
  private User alice;
  private User bob;

  @BeforeEach
  void start() throws Exception {
    dir = Files.createTempDirectory("wirt-prov");
    images = dir.resolve("images");
    vms = dir.resolve("vms");
    // Connections to the test driver within one process may share its state: a pool per test.
    vmPool = "t-vms-" + dir.getFileName();
    Files.createDirectories(images);
    RealUsers.root("qemu-img", "create", "-q", "-f", "qcow2", images.resolve("tiny.qcow2").toString(), "64M");
    Files.writeString(images.resolve("tiny.json"),
        "{\"format\": \"qcow2\", \"vcpus\": 1, \"memoryMiB\": 256, \"diskGiB\": 1, \"cloudInit\": true}");
    h = new WirtdFixture("test:///default", """
        "images": {"pool": "t-images-%s", "directory": "%s", "vmPool": "%s", "vmDirectory": "%s",
                   "domainType": "test"},
        "quotas": {"default": {"vms": 3, "vcpus": 2, "memoryMiB": 512, "diskGiB": 3}},
        """.formatted(dir.getFileName(), images, vmPool, vms));
    alice = h.user();
    bob = h.user();
    h.start();
  }

  @AfterEach
  void stop() throws Exception {
    try {
      h.close();
    } finally {
      RealUsers.root("rm", "-rf", dir.toString());
    }
  }

  @Test
  void createsAVmOnTheImageAndDeletesOnlyWhatItMade() throws Exception {
    String golden = sha256(images.resolve("tiny.qcow2"));
    h.command(alice, "web", "create.c1", "{\"image\": \"tiny\", \"sshKeys\": [\"" + KEY + "\"]}");
    JsonNode created = h.awaitHistory(alice, 1);
    assertEquals("ok", created.get("result").asText(), created.toString());
    String domain = alice.name() + "-web";
    assertEquals("created " + domain + " from image tiny (1 vCPUs, 256 MiB, 1 GiB); write 'start'"
        + " to boot it", created.get("message").asText());
    h.awaitState(alice, "web", "shutoff");
    JsonNode settings = awaitJson(h.tree(alice).resolve("info/vm/web/settings.json"),
        j -> j.has("image"));
    assertEquals("tiny", settings.get("image").asText());
    assertEquals(256, settings.get("memoryMiB").asInt());
    JsonNode quota = awaitJson(h.tree(alice).resolve("info/quota.json"),
        j -> j.at("/usage/vms").asInt() == 1);
    assertEquals(1, quota.at("/usage/diskGiB").asInt());
    assertEquals(3, quota.at("/limits/vms").asInt());
    assertEquals(alice.uid(), (int) Files.getAttribute(h.tree(alice).resolve("info/quota.json"), "unix:uid"));

    Storage storage = h.hypervisor.storage();
    Storage.Volume overlay = storage.volumes(vmPool).stream()
        .filter(v -> v.name().equals(domain + ".qcow2")).findFirst().orElseThrow();
    assertEquals(images.resolve("tiny.qcow2"), overlay.backingFile().orElseThrow());
    assertEquals(1L << 30, overlay.capacityBytes());
    Path seed = vms.resolve(domain + "-seed.iso");
    String userData = RealUsers.root("isoinfo", "-R", "-i", seed.toString(), "-x", "/user-data").stdout();
    assertTrue(userData.contains("hostname: web\n"), userData);
    assertTrue(userData.contains(KEY), userData);

    h.touch(alice, "web", "delete.d1");
    JsonNode deleted = h.awaitHistory(alice, 2);
    assertEquals("ok", deleted.get("result").asText(), deleted.toString());
    h.awaitState(alice, "web", "undefined");
    assertTrue(storage.volumes(vmPool).stream().noneMatch(v -> v.name().startsWith(domain)));
    assertFalse(Files.exists(seed));
    assertEquals(golden, sha256(images.resolve("tiny.qcow2")));
    assertFalse(storage.domainExists(domain));
    Await.until("settings.json removed", () -> !Files.exists(h.tree(alice).resolve("info/vm/web/settings.json")));
    Await.until("quota.json back to 0 VMs", () -> {
      try {
        return read(h.tree(alice).resolve("info/quota.json")).at("/usage/vms").asInt() == 0;
      } catch (Exception e) {
        return false;
      }
    });
  }

  @Test
  void refusesBadCreateFilesNamingWhatWasWrong() throws Exception {
    List<List<String>> cases = List.of(
        List.of("{\"image\": ", "'create' content is not valid JSON"),
        List.of("{\"image\": \"tiny\", \"color\": 1}", "'create' does not know the key 'color'"),
        List.of("{\"image\": \"tiny\", \"diskGiB\": -5}", "'create' \"diskGiB\" is '-5'"),
        List.of("{\"image\": \"tiny\", \"memoryMiB\": 1e30}", "'create' \"memoryMiB\" is"),
        List.of("{\"image\": \"nosuch\"}", "there is no image 'nosuch'; images: tiny"),
        List.of("{\"image\": \"tiny\", \"diskGiB\": 4}",
            "quota exceeded: disk: 0 GiB used + 4 GiB asked > 3 GiB allowed"),
        List.of("{\"image\": \"tiny\", \"vcpus\": 3}",
            "quota exceeded: vcpus: 3 asked > 2 allowed (running)"));
    int n = 0;
    for (List<String> c : cases) {
      n++;
      h.command(alice, "web", "create.r" + n, c.get(0));
      JsonNode line = h.awaitHistory(alice, n);
      assertEquals("rejected", line.get("result").asText(), line.toString());
      assertTrue(line.get("message").asText().contains(c.get(1)), line.get("message").asText());
    }
    try (Stream<Path> rejected = Files.list(h.tree(alice).resolve("rejected"))) {
      assertEquals(cases.size(), rejected.count());
    }
    assertFalse(h.hypervisor.storage().domainExists(alice.name() + "-web"));
  }

  @Test
  void refusesAnAuthorizedKeysFileThatIsALinkToAnotherUsersFile() throws Exception {
    h.users.sh(bob, "mkdir -p ~/.ssh && echo '" + KEY.replace("alice", "bob") + "' > ~/.ssh/authorized_keys"
        + " && chmod 755 ~ ~/.ssh && chmod 644 ~/.ssh/authorized_keys");
    h.users.sh(alice, "mkdir -p ~/.ssh && ln -s " + bob.home() + "/.ssh/authorized_keys ~/.ssh/authorized_keys");
    h.command(alice, "web", "create", "{\"image\": \"tiny\"}");
    JsonNode line = h.awaitHistory(alice, 1);
    assertEquals("rejected", line.get("result").asText(), line.toString());
    assertMessage("~" + alice.name() + "/.ssh/authorized_keys is a symbolic link; wirt accepts only "
        + "regular files; make it a regular file of yours with one link, or give \"sshKeys\" in "
        + "the create file", line);

    h.users.sh(alice, "rm ~/.ssh/authorized_keys && echo '" + KEY + "' > ~/.ssh/authorized_keys");
    h.command(alice, "web", "create", "{\"image\": \"tiny\"}");
    JsonNode created = h.awaitHistory(alice, 2);
    assertEquals("ok", created.get("result").asText(), created.toString());
    String userData = RealUsers.root("isoinfo", "-R", "-i",
        vms.resolve(alice.name() + "-web-seed.iso").toString(), "-x", "/user-data").stdout();
    assertTrue(userData.contains(KEY), userData);
  }

  @Test
  void quotasLimitVmsAtCreateAndRunningMemoryAtStart() throws Exception {
    h.command(alice, "a", "create", "{\"image\": \"tiny\"}");
    h.command(alice, "b", "create", "{\"image\": \"tiny\", \"memoryMiB\": 384}");
    h.command(alice, "c", "create", "{\"image\": \"tiny\"}");
    h.awaitHistory(alice, 3);
    h.command(alice, "d", "create", "{\"image\": \"tiny\"}");
    JsonNode fourth = h.awaitHistory(alice, 4);
    assertMessage("quota exceeded: vms: 3 defined + 1 asked > 3 allowed; delete a VM or ask an "
        + "admin for a larger quota (`wirt quota` shows yours)", fourth);
    h.touch(alice, "a", "start");
    assertEquals("ok", h.awaitHistory(alice, 5).get("result").asText());
    h.touch(alice, "b", "start");
    JsonNode refused = h.awaitHistory(alice, 6);
    assertEquals("rejected", refused.get("result").asText());
    assertMessage("quota exceeded: memory: 256 MiB running + 384 MiB asked > 512 MiB allowed; stop "
        + "another VM first or ask an admin for a larger quota (`wirt quota` shows yours)", refused);
    Await.until("quota.json shows 256 MiB running", () -> {
      try {
        return read(h.tree(alice).resolve("info/quota.json")).at("/usage/memoryMiB").asInt() == 256;
      } catch (Exception e) {
        return false;
      }
    });
    h.touch(alice, "a", "delete");
    JsonNode running = h.awaitHistory(alice, 7);
    assertEquals("failed", running.get("result").asText());
    assertEquals("delete " + alice.name() + "-a: it is running; write 'stop' or 'destroy' first, "
        + "then 'delete'", running.get("message").asText());
  }

  @Test
  void twoStartsQueuedAtOnceStayWithinTheQuota() throws Exception {
    // 256 + 384 MiB > 512 MiB: only one of the two may run. Both pass the check before they are
    // claimed; the second must see the first's new state under the user's quota lock, before
    // the lifecycle event of the first arrives.
    h.command(alice, "a", "create", "{\"image\": \"tiny\"}");
    h.command(alice, "b", "create", "{\"image\": \"tiny\", \"memoryMiB\": 384}");
    h.awaitHistory(alice, 2);
    for (int round = 0; round < 5; round++) {
      h.touch(alice, "a", "start");
      h.touch(alice, "b", "start");
      JsonNode first = h.awaitHistory(alice, 3 + 3 * round);
      JsonNode second = h.awaitHistory(alice, 4 + 3 * round);
      long ok = java.util.stream.Stream.of(first, second)
          .filter(l -> l.get("result").asText().equals("ok")).count();
      assertEquals(1, ok, "exactly one start runs: " + first + " " + second);
      JsonNode started = first.get("result").asText().equals("ok") ? first : second;
      h.touch(alice, started.get("vm").asText(), "destroy");
      assertEquals("ok", h.awaitHistory(alice, 5 + 3 * round).get("result").asText());
    }
  }

  @Test
  void aVmStartedOutsideWirtCountsAtTheNextStart() throws Exception {
    h.command(alice, "a", "create", "{\"image\": \"tiny\"}");
    h.command(alice, "b", "create", "{\"image\": \"tiny\", \"memoryMiB\": 384}");
    h.awaitHistory(alice, 2);
    // wirt knows both VMs as shut off; an admin starts one with libvirt directly.
    ManagedDomain a = h.hypervisor.managedDomains().stream()
        .filter(d -> d.owner().user().equals(alice.name()) && d.owner().vm().equals("a"))
        .findFirst().orElseThrow();
    h.hypervisor.start(a.uuid());
    awaitJson(h.tree(alice).resolve("info/quota.json"),
        j -> j.at("/usage/memoryMiB").asInt() == 256);
    h.touch(alice, "b", "start");
    JsonNode refused = h.awaitHistory(alice, 3);
    assertEquals("rejected", refused.get("result").asText());
    assertMessage("quota exceeded: memory: 256 MiB running + 384 MiB asked > 512 MiB allowed; stop "
        + "another VM first or ask an admin for a larger quota (`wirt quota` shows yours)", refused);
  }

  @Test
  void configChangesTheNextBootWithinQuotaAndSettingsShowWhatIsPending() throws Exception {
    h.command(alice, "web", "create", "{\"image\": \"tiny\"}");
    h.awaitHistory(alice, 1);
    h.touch(alice, "web", "start");
    assertEquals("ok", h.awaitHistory(alice, 2).get("result").asText());
    h.command(alice, "web", "config", "{\"memoryMiB\": 1024}");
    assertMessage("quota exceeded: memory: 1024 MiB asked > 512 MiB allowed (running); ask for "
        + "less or ask an admin for a larger quota (`wirt quota` shows yours)", h.awaitHistory(alice, 3));
    h.command(alice, "web", "config", "{\"vcpus\": 2, \"memoryMiB\": 384, \"autostart\": true}");
    JsonNode configured = h.awaitHistory(alice, 4);
    assertEquals(alice.name() + "-web: 2 vCPUs and 384 MiB from its next boot, autostart on",
        configured.get("message").asText(), configured.toString());
    // Lifecycle events (the redefinition) may write it in between: wait for the final one.
    JsonNode settings = awaitJson(h.tree(alice).resolve("info/vm/web/settings.json"),
        j -> j.hasNonNull("pending") && j.get("autostart").asBoolean());
    assertEquals(1, settings.get("vcpus").asInt());
    assertEquals(256, settings.get("memoryMiB").asInt());
    assertTrue(settings.get("autostart").asBoolean());
    assertEquals(2, settings.at("/pending/vcpus").asInt(), settings.toString());
    assertEquals(384, settings.at("/pending/memoryMiB").asInt());
    h.touch(alice, "web", "destroy");
    h.touch(alice, "web", "start");
    assertEquals("ok", h.awaitHistory(alice, 6).get("result").asText());
    settings = awaitJson(h.tree(alice).resolve("info/vm/web/settings.json"),
        j -> j.get("pending").isNull() && j.get("vcpus").asInt() == 2);
    assertEquals(2, settings.get("vcpus").asInt(), settings.toString());
    assertEquals(384, settings.get("memoryMiB").asInt());
    assertTrue(settings.get("pending").isNull());
  }

  @Test
  void snapshotsOfAShutOffVmCountAgainstTheDiskQuota() throws Exception {
    h.command(alice, "web", "create", "{\"image\": \"tiny\"}");
    h.awaitHistory(alice, 1);
    h.command(alice, "web", "snapshot", "one");
    assertEquals("took snapshot 'one' of " + alice.name() + "-web", h.awaitHistory(alice, 2).get("message").asText());
    h.command(alice, "web", "snapshot", "one");
    assertMessage("VM 'web' has a snapshot 'one' already; choose another name (snapshots: one)",
        h.awaitHistory(alice, 3));
    h.command(alice, "web", "snapshot", "two");
    assertEquals("ok", h.awaitHistory(alice, 4).get("result").asText());
    awaitJson(h.tree(alice).resolve("info/quota.json"), j -> j.at("/usage/diskGiB").asInt() == 3);
    h.command(alice, "web", "snapshot", "three");
    assertMessage("quota exceeded: disk: 3 GiB used + 1 GiB asked > 3 GiB allowed (a snapshot counts "
        + "its disk's size); delete a snapshot or ask an admin for a larger quota", h.awaitHistory(alice, 5));
    h.command(alice, "web", "revert", "nope");
    assertMessage("VM 'web' has no snapshot 'nope'; snapshots: one, two", h.awaitHistory(alice, 6));
    h.touch(alice, "web", "start");
    h.awaitHistory(alice, 7);
    h.command(alice, "web", "revert", "one");
    assertMessage("'revert' needs VM 'web' shut off, and it is running; write 'stop' first",
        h.awaitHistory(alice, 8));
    h.touch(alice, "web", "destroy");
    h.command(alice, "web", "revert", "one");
    assertEquals("reverted " + alice.name() + "-web to snapshot 'one'", h.awaitHistory(alice, 10).get("message").asText());
    h.touch(alice, "web", "consolidate");
    assertMessage("VM 'web' has snapshots (one, two), which would lose what they share with the "
        + "image; delete them first with 'snapshot-delete'", h.awaitHistory(alice, 11));
    h.command(alice, "web", "snapshot-delete", "two");
    assertEquals("deleted snapshot 'two' of " + alice.name() + "-web", h.awaitHistory(alice, 12).get("message").asText());
    awaitJson(h.tree(alice).resolve("info/vm/web/settings.json"),
        j -> j.get("snapshots").toString().equals("[\"one\"]"));
    awaitJson(h.tree(alice).resolve("info/quota.json"), j -> j.at("/usage/diskGiB").asInt() == 2);
    h.touch(alice, "web", "delete");
    assertEquals("ok", h.awaitHistory(alice, 13).get("result").asText());
  }

  @Test
  void aCreateInterruptedByACrashIsReportedAndNotRepeated() throws Exception {
    h.close();
    h = new WirtdFixture("test:///default", """
        "images": {"pool": "t-images-%s", "directory": "%s", "vmPool": "%s", "vmDirectory": "%s",
                   "domainType": "test"},
        """.formatted(dir.getFileName(), images, vmPool, vms));
    alice = h.user();
    h.users.run(alice, "mkdir", "-p", h.tree(alice).resolve("command/vm/web").toString());
    try (org.wirt.journal.Journal journal = org.wirt.journal.Journal.open(h.stateDir)) {
      journal.claim(alice.name(), alice.uid(), "web", alice.name() + "-web", null, "create", "t",
          "create.t", 1, 1, "{\"image\": \"tiny\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8),
          java.time.Instant.now().toString());
    }
    h.start();
    JsonNode line = h.awaitHistory(alice, 1);
    assertEquals("interrupted", line.get("result").asText(), line.toString());
    assertEquals("wirtd stopped while this create ran; no domain was defined and the create is not "
        + "repeated; volumes it may have made are left for an admin (" + alice.name() + "-web.qcow2, "
        + alice.name() + "-web-seed.iso in the VM pool)", line.get("message").asText());
    assertFalse(h.hypervisor.storage().domainExists(alice.name() + "-web"));
  }

  @Test
  void wirtCreatesAndDeletesForTheUser() throws Exception {
    String tree = h.tree(alice).toString();
    RealUsers.Exit created = h.users.attempt(alice, org.wirt.testing.Programs.command("wirt",
        "--tree", tree, "create", "web", "--image", "tiny", "--memory", "128", "--ssh-key", KEY)
        .toArray(String[]::new));
    assertEquals(0, created.code(), created.stderr());
    assertEquals("created " + alice.name() + "-web from image tiny (1 vCPUs, 128 MiB, 1 GiB); "
        + "write 'start' to boot it\n", created.stdout());
    RealUsers.Exit refused = h.users.attempt(alice, org.wirt.testing.Programs.command("wirt",
        "--tree", tree, "create", "db", "--image", "nosuch").toArray(String[]::new));
    assertEquals(5, refused.code());
    assertTrue(refused.stderr().contains("wirt: create db refused: command/vm/db/create."),
        refused.stderr());
    assertTrue(refused.stderr().contains("there is no image 'nosuch'; images: tiny"), refused.stderr());
    RealUsers.Exit deleted = h.users.attempt(alice, org.wirt.testing.Programs.command("wirt",
        "--tree", tree, "delete", "web").toArray(String[]::new));
    assertEquals(0, deleted.code(), deleted.stderr());
    assertEquals("deleted " + alice.name() + "-web and " + alice.name() + "-web.qcow2, "
        + alice.name() + "-web-seed.iso\n", deleted.stdout());
  }

  @Test
  void refusesAnExistingVmAndADomainNameTakenByAnotherUser() throws Exception {
    h.domain(alice.name() + "-taken", bob, "taken");
    h.command(alice, "taken", "create", "{\"image\": \"tiny\"}");
    assertMessage("the domain name " + alice.name() + "-taken of VM 'taken' is taken by a domain "
        + "that is not yours; choose another VM name", h.awaitHistory(alice, 1));
    h.command(alice, "web", "create", "{\"image\": \"tiny\"}");
    assertEquals("ok", h.awaitHistory(alice, 2).get("result").asText());
    h.command(alice, "web", "create", "{\"image\": \"tiny\"}");
    assertMessage("VM 'web' exists already (domain " + alice.name() + "-web); write 'delete' first "
        + "to replace it, or create another VM name", h.awaitHistory(alice, 3));
  }

  /** A refusal's message names the file, says what was wrong, and where the file went. */
  private static void assertMessage(String expected, JsonNode line) {
    String message = line.get("message").asText();
    assertTrue(message.startsWith("command/vm/" + line.get("vm").asText() + "/" + line.get("verb").asText())
        && message.contains(": " + expected + " (moved to rejected/"), message);
  }

  /** Waits until the file holds JSON that satisfies {@code ok} (it is written after the history line). */
  private static JsonNode awaitJson(Path file, java.util.function.Predicate<JsonNode> ok)
      throws Exception {
    return Await.value(file + " as expected", WirtdFixture.DEADLINE, () -> read(file), ok);
  }

  private static JsonNode read(Path file) throws Exception {
    return JSON.readTree(file.toFile());
  }

  static String sha256(Path file) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
  }

}
