package org.wirt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.libvirt.Connect;
import org.libvirt.Network;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.hypervisor.Owner;
import org.wirt.testing.Await;
import org.wirt.testing.RealUsers.User;
import org.wirt.testing.WirtdFixture;

/**
 * {@code command/domain/<name>/} through the whole daemon on libvirt's test driver, whose {@code
 * default} network (the driver's own object, not the host's) takes DNS host updates and whose
 * running domains report an address per interface; real users write real files.
 */
@Tag("root")
class HostNameTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final AtomicInteger MACS = new AtomicInteger(0x10);
  private WirtdFixture h;
  private User alice;
  private User bob;
  private Connect libvirt;
  private String zone;

  @BeforeEach
  void start() throws Exception {
    // The test driver's state is shared by the connections of this JVM: a zone per test.
    zone = "t" + System.nanoTime() % 100_000_000 + ".example.org";
    h = new WirtdFixture("test:///default", """
        "domains": {"zone": "%s", "network": "default"},
        "quotas": {"default": {"domains": 2}},
        """.formatted(zone));
    alice = h.user();
    bob = h.user();
    libvirt = new Connect("test:///default");
  }

  @AfterEach
  void stop() throws Exception {
    try {
      h.close();
    } finally {
      libvirt.close();
    }
  }

  /** A test-driver domain of {@code owner} with one interface on the driver's network. */
  private ManagedDomain vm(String name, User owner, String vm) throws Exception {
    String mac = String.format("52:54:00:aa:%02x:%02x", MACS.get() >> 8 & 0xff,
        MACS.getAndIncrement() & 0xff);
    return h.hypervisor.define("<domain type='test'><name>" + name + "</name>"
        + "<memory unit='MiB'>256</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os>"
        + "<devices><interface type='network'><source network='default'/><mac address='" + mac
        + "'/></interface></devices></domain>", new Owner(owner.name(), owner.uid(), vm));
  }

  private void write(User u, String name, String file, String content) throws Exception {
    Path dir = h.tree(u).resolve("command/domain").resolve(name);
    h.users.sh(u, "mkdir -p '" + dir + "' && printf '%s' '" + content + "' > '" + dir + "/."
        + file + ".tmp' && mv '" + dir + "/." + file + ".tmp' '" + dir + "/" + file + "'");
  }

  /** Puts a whole name directory with one command in place at once (wirtd refuses a bad name at once). */
  private void writeWhole(User u, String name, String file, String content) throws Exception {
    Path top = h.tree(u).resolve("command/domain");
    h.users.sh(u, "mkdir -p '" + top + "/.new/' && printf '%s' '" + content + "' > '" + top
        + "/.new/" + file + "' && mv '" + top + "/.new' '" + top + "/" + name + "'");
  }

  private String dnsXml() throws Exception {
    Network n = libvirt.networkLookupByName("default");
    try {
      return n.getXMLDesc(0);
    } finally {
      n.free();
    }
  }

  private JsonNode settings(User u, String name) throws Exception {
    return JSON.readTree(h.tree(u).resolve("info/domain").resolve(name).resolve("settings.json")
        .toFile());
  }

  private List<String> rejected(User u) throws Exception {
    try (Stream<Path> s = Files.list(h.tree(u).resolve("rejected"))) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void publishesAHeldNameAtItsVmsAddressAndWithdrawsIt() throws Exception {
    ManagedDomain web = vm(alice.name() + "-web", alice, "web");
    h.hypervisor.start(web.uuid());
    h.start();
    assertTrue(Files.isDirectory(h.tree(alice).resolve("command/domain")));
    assertTrue(Files.isDirectory(h.tree(alice).resolve("info/domain")));
    assertTrue(Files.isDirectory(h.tree(alice).resolve("logs/domain")));
    String fqdn = "web." + zone;

    write(alice, "web", "config", "{\"vm\": \"web\"}");
    JsonNode configured = h.awaitHistory(alice, 1);
    assertEquals("ok", configured.get("result").asText(), configured.toString());
    assertEquals("domain/web", configured.get("vm").asText());
    assertEquals("config", configured.get("verb").asText());
    assertEquals(fqdn + " is held for VM 'web'; 'start' publishes it",
        configured.get("message").asText());
    assertFalse(dnsXml().contains(fqdn));

    write(alice, "web", "start.t1", "");
    JsonNode started = h.awaitHistory(alice, 2);
    assertEquals("ok", started.get("result").asText(), started.toString());
    String message = started.get("message").asText();
    assertTrue(message.matches("published " + fqdn.replace(".", "\\.")
        + " -> [0-9.]+ \\(VM 'web', network default\\)"), message);
    String ip = message.substring(message.indexOf("-> ") + 3, message.indexOf(" ("));
    assertTrue(dnsXml().contains("<host ip='" + ip + "'>\n      <hostname>ip-"
        + ip.replace('.', '-') + ".wirt.invalid</hostname>\n      <hostname>" + fqdn
        + "</hostname>"), dnsXml());
    JsonNode s = settings(alice, "web");
    assertEquals(fqdn, s.get("fqdn").asText());
    assertEquals("web", s.get("vm").asText());
    assertEquals(ip, s.get("address").asText());
    assertTrue(s.get("published").asBoolean());
    assertTrue(s.get("pending").isNull());
    JsonNode result = JSON.readTree(h.tree(alice).resolve("info/domain/web/results/t1.json")
        .toFile());
    assertEquals("ok", result.get("result").asText());
    String log = Files.readString(h.tree(alice).resolve("logs/domain/web.log"));
    assertTrue(log.contains("start.t1 ok"), log);
    Await.until("audit record of the start", () -> h.audit().stream().anyMatch(
        a -> a.get("vm").asText().equals("domain/web") && a.get("verb").asText().equals("start")));
    assertFalse(Files.exists(h.tree(alice).resolve("command/domain/web/start.t1")));

    // Publishing twice changes nothing and is no error.
    write(alice, "web", "start", "");
    assertEquals("ok", h.awaitHistory(alice, 3).get("result").asText());
    assertEquals(1, dnsXml().split(fqdn, -1).length - 1, dnsXml());

    write(alice, "web", "stop", "");
    JsonNode stopped = h.awaitHistory(alice, 4);
    assertEquals("withdrew and released " + fqdn, stopped.get("message").asText());
    assertFalse(dnsXml().contains(fqdn), dnsXml());
    assertFalse(settings(alice, "web").get("held").asBoolean());

    // Withdrawing what is not there is no error either.
    write(alice, "web", "stop", "");
    JsonNode again = h.awaitHistory(alice, 5);
    assertEquals("ok", again.get("result").asText());
    assertEquals(fqdn + " was not held; nothing to withdraw", again.get("message").asText());
  }

  @Test
  void aNameIsFirstComeFirstServedAcrossUsers() throws Exception {
    vm(alice.name() + "-web", alice, "web");
    vm(bob.name() + "-web", bob, "web");
    h.start();
    write(alice, "shared", "config", "{\"vm\": \"web\"}");
    assertEquals("ok", h.awaitHistory(alice, 1).get("result").asText());

    write(bob, "shared", "start", "{\"vm\": \"web\"}");
    JsonNode refused = h.awaitHistory(bob, 1);
    assertEquals("rejected", refused.get("result").asText());
    String moved = rejected(bob).get(0);
    assertTrue(moved.startsWith("domain.shared.start."), moved);
    assertEquals("command/domain/shared/start: shared." + zone + " is held by another user (names"
        + " are first come, first served); choose another name (moved to rejected/" + moved + ")",
        refused.get("message").asText());
    Await.until("bob's refusal mailed",
        () -> h.notified.stream().anyMatch(n -> n.startsWith(bob.name() + "/domain/shared")));

    // Once alice releases it, it is bob's to take.
    write(alice, "shared", "stop", "");
    assertEquals("ok", h.awaitHistory(alice, 2).get("result").asText());
    write(bob, "shared", "config", "{\"vm\": \"web\"}");
    assertEquals("ok", h.awaitHistory(bob, 2).get("result").asText());
  }

  @Test
  void refusesNamesOutsideTheRuleAndTheZone() throws Exception {
    vm(alice.name() + "-web", alice, "web");
    h.start();
    writeWhole(alice, "web." + zone, "config", "{\"vm\": \"web\"}");
    JsonNode full = h.awaitHistory(alice, 1);
    assertEquals("rejected", full.get("result").asText());
    assertTrue(full.get("message").asText().startsWith("command/domain/web." + zone + ": not a"
        + " valid host name; a host name is one DNS label: 1 to 63 of a-z, 0-9 and '-', not"
        + " starting or ending with '-', in lower case (the zone " + zone + " is added); for web."
        + zone + " write the directory command/domain/web/ (moved to rejected/domain.web."),
        full.get("message").asText());
    writeWhole(alice, "Web", "config", "{\"vm\": \"web\"}");
    JsonNode upper = h.awaitHistory(alice, 2);
    assertTrue(upper.get("message").asText().contains("; write it as web (moved to rejected/"),
        upper.get("message").asText());
    assertFalse(Files.exists(h.tree(alice).resolve("command/domain/Web")));
  }

  @Test
  void refusesANameBeyondTheQuota() throws Exception {
    vm(alice.name() + "-web", alice, "web");
    h.start();
    write(alice, "a", "config", "{\"vm\": \"web\"}");
    write(alice, "b", "config", "{\"vm\": \"web\"}");
    h.awaitHistory(alice, 2);
    write(alice, "c", "config", "{\"vm\": \"web\"}");
    JsonNode refused = h.awaitHistory(alice, 3);
    assertEquals("rejected", refused.get("result").asText());
    assertTrue(refused.get("message").asText().startsWith("command/domain/c/config: quota"
        + " exceeded: you hold 2 host names of 2 allowed (quota key domains); stop one"
        + " (command/domain/<name>/stop) or ask an admin for a larger quota (moved to rejected/"),
        refused.get("message").asText());
    // A name already held is no new one: changing it stays within the quota.
    write(alice, "a", "start", "");
    assertEquals("ok", h.awaitHistory(alice, 4).get("result").asText());
    h.daemon().sweepNow();
    JsonNode quota = JSON.readTree(h.tree(alice).resolve("info/quota.json").toFile());
    assertEquals(2, quota.get("limits").get("domains").asInt(), quota.toString());
    assertEquals(2, quota.get("usage").get("domains").asInt(), quota.toString());
  }

  @Test
  void refusesAVmThatIsNotTheUsers() throws Exception {
    vm(alice.name() + "-web", alice, "web");
    vm(bob.name() + "-db", bob, "db");
    h.start();
    write(alice, "db", "config", "{\"vm\": \"db\"}");
    JsonNode refused = h.awaitHistory(alice, 1);
    assertEquals("rejected", refused.get("result").asText());
    assertTrue(refused.get("message").asText().startsWith("command/domain/db/config: VM 'db' is"
        + " not yours (no domain of yours carries it); name one of your VMs, or ask an admin to"
        + " run `wirtctl assign` (moved to rejected/domain.db.config."),
        refused.get("message").asText());
    write(alice, "db", "start", "");
    assertEquals("command/domain/db/start: 'start' needs a VM: write {\"vm\": \"<vm>\"} into it,"
        + " or a 'config' first (moved to rejected/" + rejected(alice).get(1) + ")",
        h.awaitHistory(alice, 2).get("message").asText());
  }

  @Test
  void aNameWaitsForItsVmsAddressAndGoesWithTheVm() throws Exception {
    ManagedDomain web = vm(alice.name() + "-web", alice, "web");
    h.start();
    String fqdn = "web." + zone;
    write(alice, "web", "start", "{\"vm\": \"web\"}");
    JsonNode held = h.awaitHistory(alice, 1);
    assertEquals("ok", held.get("result").asText(), held.toString());
    assertEquals(fqdn + " is held for VM 'web' and published once it has an address: VM 'web'"
        + " has no IPv4 address yet (it is shutoff); wirt publishes the name once it has one",
        held.get("message").asText());
    assertFalse(settings(alice, "web").get("published").asBoolean());

    h.hypervisor.start(web.uuid());
    Await.until("the name published once the VM has an address",
        () -> settings(alice, "web").get("published").asBoolean());
    assertTrue(dnsXml().contains(fqdn), dnsXml());

    h.hypervisor.destroy(web.uuid());
    h.hypervisor.undefine(web.uuid());
    Await.until("the name withdrawn once the VM is gone",
        () -> !settings(alice, "web").get("published").asBoolean());
    assertFalse(dnsXml().contains(fqdn), dnsXml());
    assertTrue(settings(alice, "web").get("held").asBoolean());
  }

  @Test
  void aCommandTakenBeforeACrashIsRecordedOnceAndItsFileRemoved() throws Exception {
    vm(alice.name() + "-web", alice, "web");
    // The state a crash leaves between the registry's write and the file's removal.
    write(alice, "web", "config.c1", "{\"vm\": \"web\"}");
    Path file = h.tree(alice).resolve("command/domain/web/config.c1");
    // st_dev in glibc's encoding, as wirt's statx facts hold it: major << 32 | minor.
    long stDev = ((Number) Files.getAttribute(file, "unix:dev")).longValue();
    long major = ((stDev >>> 8) & 0xfff) | ((stDev >>> 32) & ~0xfffL);
    long minor = (stDev & 0xff) | ((stDev >>> 12) & ~0xffL);
    long dev = major << 32 | minor;
    long ino = ((Number) Files.getAttribute(file, "unix:ino")).longValue();
    String fqdn = "web." + zone;
    org.wirt.hostname.Claims claims = org.wirt.hostname.Claims.open(h.stateDir);
    claims.take(fqdn, new org.wirt.hostname.Claims.Claim(fqdn, "web", alice.name(), alice.uid(),
        "web", false, null, "not published yet"), new org.wirt.hostname.Claims.Taken(0,
        alice.name(), alice.uid(), "web", "config", "c1", "config.c1", dev, ino,
        "2026-12-04T00:00:00Z", "ok", fqdn + " is held for VM 'web'; 'start' publishes it"));

    h.start();
    JsonNode recorded = h.awaitHistory(alice, 1);
    assertEquals("ok", recorded.get("result").asText());
    assertEquals(fqdn + " is held for VM 'web'; 'start' publishes it (recorded after wirtd"
        + " restarted; publication is brought up to date by the sweep)",
        recorded.get("message").asText());
    assertFalse(Files.exists(file));
    h.daemon().sweepNow();
    assertEquals(1, h.history(alice).size(), h.history(alice).toString());
    assertEquals(List.of(), org.wirt.hostname.Claims.open(h.stateDir).unrecorded());
    assertTrue(org.wirt.hostname.Claims.open(h.stateDir).get(fqdn).isPresent());
  }

  @Test
  void withoutAZoneEveryCommandIsRefusedSayingSo() throws Exception {
    try (WirtdFixture off = new WirtdFixture()) {
      User carol = off.user();
      off.start();
      Path dir = off.tree(carol).resolve("command/domain/web");
      off.users.sh(carol, "mkdir -p '" + dir + "' && touch '" + dir + "/start'");
      JsonNode refused = off.awaitHistory(carol, 1);
      assertEquals("rejected", refused.get("result").asText());
      assertTrue(refused.get("message").asText().startsWith("command/domain/web/start: host names"
          + " are off: the admin has not configured a zone (domains.zone in wirt.json); ask an"
          + " admin to set one (moved to rejected/domain.web.start."),
          refused.get("message").asText());
    }
  }
}
