package org.wirt.verbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.wirt.command.Refusal;
import org.wirt.config.QuotaConfig.Quota;
import org.wirt.config.QuotaConfig;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.LibvirtHypervisor;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.hypervisor.Owner;
import org.wirt.status.VmFacts;
import org.wirt.tree.Identity;

/**
 * Quota checks read what libvirt last said from a cache ({@link VmFacts}); on libvirt's test
 * driver, with no lifecycle events delivered (no daemon), these show when the cache is updated
 * and that a refusal is always checked against libvirt.
 */
final class QuotaChecksTest {
  private static final Identity ALICE = new Identity("alice", 4242, 4242, new int[0]);

  private LibvirtHypervisor hypervisor;
  private VmFacts facts;
  private QuotaChecks quotas;
  private ManagedDomain a;
  private ManagedDomain b;

  @BeforeEach
  void open() throws Exception {
    hypervisor = LibvirtHypervisor.open("test:///default");
    facts = new VmFacts(hypervisor);
    // 256 + 384 MiB > 512 MiB: only one of the two VMs may run.
    quotas = new QuotaChecks(hypervisor, facts,
        new QuotaConfig(new Quota(3, 2, 512, 3), Map.of(), Map.of()),
        (user, group) -> false);
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    a = define("a-" + suffix, "a", 256);
    b = define("b-" + suffix, "b", 384);
  }

  @AfterEach
  void close() {
    hypervisor.close();
  }

  @Test
  void aStartIsKnownToTheNextStartAtOnce() throws Exception {
    quotas.checkStart(ALICE, b, List.of(a, b));
    quotas.startWithinQuota(ALICE, a, () -> List.of(a, b), () -> {
      hypervisor.start(a.uuid());
      return null;
    });
    // No lifecycle event has told the cache: the start itself did.
    assertRefused(() -> quotas.checkStart(ALICE, b, List.of(a, b)));
    HypervisorException inLock = assertThrows(HypervisorException.class,
        () -> quotas.startWithinQuota(ALICE, b, () -> List.of(a, b), () -> {
          hypervisor.start(b.uuid());
          return null;
        }));
    assertTrue(inLock.getMessage().startsWith("quota exceeded: memory"), inLock.getMessage());
    assertEquals(256, quotas.usage(List.of(a, b)).memoryMiB());
  }

  @Test
  void aStopNotYetReportedDoesNotRefuseAStart() throws Exception {
    quotas.startWithinQuota(ALICE, a, () -> List.of(a, b), () -> {
      hypervisor.start(a.uuid());
      return null;
    });
    assertEquals(256, quotas.usage(List.of(a, b)).memoryMiB());
    // Stopped, and nobody told the cache: the refusal it would give is checked with libvirt.
    hypervisor.destroy(a.uuid());
    quotas.checkStart(ALICE, b, List.of(a, b));
    assertEquals(0, quotas.usage(List.of(a, b)).memoryMiB());
  }

  @Test
  void aStatusObservedOrAChangeNotedIsWhatTheNextReportCounts() throws Exception {
    assertEquals(0, quotas.usage(List.of(a, b)).memoryMiB());
    hypervisor.start(b.uuid());
    // Until told, the cache keeps what libvirt said; that is what the events are for.
    assertEquals(0, quotas.usage(List.of(a, b)).memoryMiB());
    facts.observed(hypervisor.status(b.uuid()));
    assertEquals(384, quotas.usage(List.of(a, b)).memoryMiB());
    hypervisor.destroy(b.uuid());
    facts.changed(b.uuid());
    assertEquals(0, quotas.usage(List.of(a, b)).memoryMiB());
  }

  private ManagedDomain define(String name, String vm, int memoryMiB) throws Exception {
    return hypervisor.define("<domain type='test'><name>" + name + "</name>"
        + "<memory unit='MiB'>" + memoryMiB + "</memory><vcpu>1</vcpu>"
        + "<os><type arch='x86_64'>hvm</type></os></domain>",
        new Owner(ALICE.user(), ALICE.uid(), vm));
  }

  private static void assertRefused(org.junit.jupiter.api.function.Executable check) {
    Refusal r = assertThrows(Refusal.class, check);
    assertTrue(r.getMessage().startsWith("quota exceeded: memory: 256 MiB running + 384 MiB asked"),
        r.getMessage());
  }
}
