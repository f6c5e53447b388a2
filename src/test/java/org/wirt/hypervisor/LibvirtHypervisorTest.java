package org.wirt.hypervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link LibvirtHypervisor} against libvirt's built-in {@code test:///default} driver: no daemon,
 * and every connection has its own private set of domains.
 */
class LibvirtHypervisorTest {
  private static final Duration EVENT_WAIT = Duration.ofSeconds(10);

  private LibvirtHypervisor hypervisor;
  private final LifecycleEvents events = new LifecycleEvents();

  @BeforeEach
  void connect() throws HypervisorException {
    hypervisor = LibvirtHypervisor.open("test:///default");
    hypervisor.onLifecycle(events);
  }

  @AfterEach
  void disconnect() {
    hypervisor.close();
  }

  static String testDomainXml(String name) {
    return """
        <domain type='test'>
          <name>%s</name>
          <memory unit='MiB'>256</memory>
          <currentMemory unit='MiB'>192</currentMemory>
          <vcpu>2</vcpu>
          <os><type arch='x86_64'>hvm</type></os>
        </domain>
        """.formatted(name);
  }

  private UUID define(String name) throws HypervisorException {
    return hypervisor.define(testDomainXml(name));
  }

  @Test
  void assignWritesOwnerMetadataThatManagedDomainsReads() throws Exception {
    UUID web = define("alice-web");
    define("unmanaged");

    ManagedDomain assigned = hypervisor.assign("alice-web", new Owner("alice", 1001, "web"));

    ManagedDomain expected = new ManagedDomain(web, "alice-web", new Owner("alice", 1001, "web"));
    assertEquals(expected, assigned);
    assertEquals(List.of(expected), hypervisor.managedDomains());
    assertEquals(Optional.of(expected), hypervisor.managedDomain(web));
    assertTrue(hypervisor.xml(web).contains(
        "<wirt:owner xmlns:wirt=\"https://wirt.dev/xmlns/owner/1\" user=\"alice\" uid=\"1001\" vm=\"web\"/>"),
        hypervisor.xml(web));
  }

  @Test
  void managedDomainsListsRunningAndDefinedDomains() throws Exception {
    UUID running = define("alice-web");
    UUID stopped = define("alice-db");
    hypervisor.assign("alice-web", new Owner("alice", 1001, "web"));
    hypervisor.assign("alice-db", new Owner("alice", 1001, "db"));
    hypervisor.start(running);

    List<UUID> uuids = hypervisor.managedDomains().stream().map(ManagedDomain::uuid).sorted().toList();

    assertEquals(List.of(running, stopped).stream().sorted().toList(), uuids);
  }

  @Test
  void assignOnRunningDomainReachesLiveAndPersistentDefinition() throws Exception {
    UUID web = define("alice-web");
    hypervisor.start(web);

    hypervisor.assign("alice-web", new Owner("alice", 1001, "web"));
    hypervisor.destroy(web);

    assertEquals(Optional.of(new Owner("alice", 1001, "web")),
        hypervisor.managedDomain(web).map(ManagedDomain::owner));
  }

  @Test
  void assignOverwritesAndUnassignRemoves() throws Exception {
    UUID web = define("alice-web");
    hypervisor.assign("alice-web", new Owner("alice", 1001, "web"));

    hypervisor.assign("alice-web", new Owner("bob", 1002, "www"));
    assertEquals(Optional.of(new Owner("bob", 1002, "www")),
        hypervisor.managedDomain(web).map(ManagedDomain::owner));

    assertEquals(Optional.of(new Owner("bob", 1002, "www")), hypervisor.unassign("alice-web"));
    assertEquals(Optional.empty(), hypervisor.managedDomain(web));
    assertEquals(List.of(), hypervisor.managedDomains());
    assertEquals(Optional.empty(), hypervisor.unassign("alice-web"));
  }

  @Test
  void assignRefusesInvalidOwnerAndUnknownDomain() throws Exception {
    define("alice-web");

    HypervisorException invalid = assertThrows(HypervisorException.class,
        () -> hypervisor.assign("alice-web", new Owner("alice", 1001, "we/b")));
    assertEquals("assign alice-web: invalid vm name 'we/b': expected [A-Za-z0-9][A-Za-z0-9_-]{0,47}",
        invalid.getMessage());
    HypervisorException missing = assertThrows(HypervisorException.class,
        () -> hypervisor.assign("nobody-web", new Owner("alice", 1001, "web")));
    assertTrue(missing.getMessage().startsWith("assign nobody-web: Domain not found"), missing.getMessage());
    assertFalse(missing.unreachable());
  }

  @Test
  void malformedMetadataMeansUnmanaged() throws Exception {
    UUID bad = hypervisor.define("""
        <domain type='test'>
          <name>alice-bad</name>
          <memory unit='MiB'>128</memory>
          <metadata>
            <wirt:owner xmlns:wirt="https://wirt.dev/xmlns/owner/1" user="alice" uid="x" vm="bad"/>
          </metadata>
          <os><type>hvm</type></os>
        </domain>
        """);

    assertEquals(List.of(), hypervisor.managedDomains());
    assertEquals(Optional.empty(), hypervisor.managedDomain(bad));
  }

  @Test
  void nameCollisionResolvedByMetadata() throws Exception {
    // User a-b's VM c and user a's VM b-c would both be called a-b-c; only a-b's exists.
    define("a-b-c");
    hypervisor.assign("a-b-c", new Owner("a-b", 1002, "c"));
    Ownership ownership = new Ownership();

    ownership.refresh(hypervisor);

    assertEquals(Optional.empty(), ownership.find("a", 1001, "b-c"));
    assertEquals("a-b-c", ownership.find("a-b", 1002, "c").orElseThrow().name());
    assertEquals(Optional.of("b-c"), DomainNames.vmFromDomainName("{user}-{vm}", "a", "a-b-c"));
  }

  @Test
  void statusOfDefinedDomain() throws Exception {
    UUID web = define("alice-web");

    DomainStatus status = hypervisor.status(web);

    assertEquals(new DomainStatus(web, "alice-web", DomainState.SHUTOFF, "unknown", 2, 192, false, List.of()),
        status);
  }

  @Test
  void powerVerbsChangeStatus() throws Exception {
    UUID web = define("alice-web");

    hypervisor.start(web);
    assertState(web, DomainState.RUNNING, "booted");
    hypervisor.suspend(web);
    assertState(web, DomainState.PAUSED, "user");
    hypervisor.resume(web);
    assertState(web, DomainState.RUNNING, "unpaused");
    hypervisor.reboot(web);
    assertState(web, DomainState.RUNNING, "booted");
    hypervisor.reset(web);
    assertState(web, DomainState.RUNNING, "booted");
    hypervisor.shutdown(web);
    assertState(web, DomainState.SHUTOFF, "shutdown");
    hypervisor.start(web);
    hypervisor.destroy(web);
    assertState(web, DomainState.SHUTOFF, "destroyed");
  }

  @Test
  void autostartIsReported() throws Exception {
    UUID web = define("alice-web");

    hypervisor.setAutostart(web, true);
    assertTrue(hypervisor.status(web).autostart());
    hypervisor.setAutostart(web, false);
    assertFalse(hypervisor.status(web).autostart());
  }

  @Test
  void startingRunningDomainFailsWithLibvirtsMessage() throws Exception {
    UUID web = define("alice-web");
    hypervisor.start(web);

    HypervisorException e = assertThrows(HypervisorException.class, () -> hypervisor.start(web));

    // The test driver words it differently from QEMU's (see the e2e test for that one).
    assertEquals("start alice-web: internal error: Domain 'alice-web' is already running",
        e.getMessage());
    assertFalse(e.unreachable());
  }

  @Test
  void resumingDomainThatIsNotPausedFails() throws Exception {
    UUID web = define("alice-web");
    hypervisor.start(web);

    HypervisorException e = assertThrows(HypervisorException.class, () -> hypervisor.resume(web));

    assertEquals("resume alice-web: internal error: domain 'alice-web' not paused", e.getMessage());
  }

  @Test
  void missingDomainIsUndefined() throws Exception {
    UUID web = define("alice-web");
    hypervisor.undefine(web);

    assertEquals(DomainStatus.undefined(web, "alice-web"), hypervisor.status(web));
    assertEquals(Optional.empty(), hypervisor.managedDomain(web));
    HypervisorException e = assertThrows(HypervisorException.class, () -> hypervisor.start(web));
    assertEquals("start alice-web: Domain not found: no domain with UUID " + web, e.getMessage());
    UUID never = UUID.randomUUID();
    assertEquals(DomainStatus.undefined(never, never.toString()), hypervisor.status(never));
  }

  @Test
  void lifecycleEventsForStartAndDestroy() throws Exception {
    UUID web = define("alice-web");
    assertEquals(new LifecycleEvent(web, "alice-web", "defined", "added"),
        events.next(web, "defined", EVENT_WAIT));

    hypervisor.start(web);
    assertEquals(new LifecycleEvent(web, "alice-web", "started", "booted"),
        events.next(web, "started", EVENT_WAIT));
    hypervisor.suspend(web);
    assertEquals("paused", events.next(web, "suspended", EVENT_WAIT).detail());
    hypervisor.resume(web);
    assertEquals("unpaused", events.next(web, "resumed", EVENT_WAIT).detail());
    hypervisor.destroy(web);
    assertEquals(new LifecycleEvent(web, "alice-web", "stopped", "destroyed"),
        events.next(web, "stopped", EVENT_WAIT));
    hypervisor.undefine(web);
    assertEquals("removed", events.next(web, "undefined", EVENT_WAIT).detail());
  }

  @Test
  void concurrentCallsOnOneConnection() throws Exception {
    List<UUID> uuids = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      uuids.add(define("user-vm" + i));
    }
    ExecutorService workers = Executors.newFixedThreadPool(4);
    try {
      List<Future<DomainStatus>> results = new ArrayList<>();
      for (UUID uuid : uuids) {
        results.add(workers.submit(() -> {
          hypervisor.start(uuid);
          for (int i = 0; i < 20; i++) {
            hypervisor.status(uuid);
          }
          return hypervisor.status(uuid);
        }));
      }
      for (Future<DomainStatus> result : results) {
        assertEquals(DomainState.RUNNING, result.get().state());
      }
    } finally {
      workers.shutdownNow();
    }
  }

  @Test
  void statusIsFast() throws Exception {
    UUID web = define("alice-web");
    hypervisor.start(web);
    int calls = 200;
    for (int i = 0; i < 20; i++) {
      hypervisor.status(web);
    }

    long start = System.nanoTime();
    for (int i = 0; i < calls; i++) {
      hypervisor.status(web);
    }
    double micros = (System.nanoTime() - start) / 1000.0 / calls;

    System.out.printf("test:///default status() takes %.1f us per call%n", micros);
    assertTrue(micros < 50_000, "status() took " + micros + " us");
  }

  @Test
  void closedHypervisorIsUnreachable() throws Exception {
    UUID web = define("alice-web");
    hypervisor.close();

    HypervisorException e = assertThrows(HypervisorException.class, () -> hypervisor.status(web));

    assertTrue(e.unreachable());
    assertEquals("read status of alice-web: connection to test:///default is closed", e.getMessage());
  }

  @Test
  void unreachableDaemonIsReportedAsSuch(@TempDir Path dir) {
    String uri = "qemu+unix:///system?socket=" + dir.resolve("no-such-socket");

    HypervisorException e = assertThrows(HypervisorException.class, () -> LibvirtHypervisor.open(uri));

    assertTrue(e.unreachable());
    assertTrue(e.getMessage().startsWith("connect to " + uri + ": "), e.getMessage());
  }

  private void assertState(UUID uuid, DomainState state, String reason) throws HypervisorException {
    DomainStatus status = hypervisor.status(uuid);
    assertEquals(state + "/" + reason, status.state() + "/" + status.reason());
  }
}
