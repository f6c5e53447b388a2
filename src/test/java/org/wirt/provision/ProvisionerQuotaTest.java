package org.wirt.provision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.wirt.verbs.Quotas;
import org.wirt.command.Refusal;
import org.wirt.config.ImagesConfig;
import org.wirt.config.QuotaConfig;
import org.wirt.config.QuotaConfig.Quota;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.LibvirtHypervisor;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.hypervisor.Owner;
import org.wirt.tree.Identity;

/**
 * Quota checks read what libvirt last said from a cache ({@link VmFacts}); on libvirt's test
 * driver, with no lifecycle events delivered (no daemon), these show when the cache is updated
 * and that a refusal is always checked against libvirt.
 */
final class ProvisionerQuotaTest {
  private static final Identity ALICE = new Identity("alice", 4242, 4242, new int[0]);

  private LibvirtHypervisor hypervisor;
  private Provisioner provisioner;
  private ManagedDomain a;
  private ManagedDomain b;

  @BeforeEach
  void open() throws Exception {
    hypervisor = LibvirtHypervisor.open("test:///default");
    ImagesConfig images = new ImagesConfig("p", Path.of("/nonexistent/images"), "v",
        Path.of("/nonexistent/vms"), "test", List.of());
    // 256 + 384 MiB > 512 MiB: only one of the two VMs may run.
    provisioner = new Provisioner(hypervisor, images,
        new Quotas(new QuotaConfig(new Quota(3, 2, 512, 3), Map.of(), Map.of())),
        "{user}-{vm}", (user, group) -> false, Clock.systemUTC());
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
    provisioner.checkStart(ALICE, b, List.of(a, b));
    provisioner.startWithinQuota(ALICE, a, () -> List.of(a, b), () -> {
      hypervisor.start(a.uuid());
      return null;
    });
    // No lifecycle event has told the cache: the start itself did.
    assertRefused(() -> provisioner.checkStart(ALICE, b, List.of(a, b)));
    HypervisorException inLock = assertThrows(HypervisorException.class,
        () -> provisioner.startWithinQuota(ALICE, b, () -> List.of(a, b), () -> {
          hypervisor.start(b.uuid());
          return null;
        }));
    assertTrue(inLock.getMessage().startsWith("quota exceeded: memory"), inLock.getMessage());
    assertEquals(256, provisioner.usage(List.of(a, b)).memoryMiB());
  }

  @Test
  void aStopNotYetReportedDoesNotRefuseAStart() throws Exception {
    provisioner.startWithinQuota(ALICE, a, () -> List.of(a, b), () -> {
      hypervisor.start(a.uuid());
      return null;
    });
    assertEquals(256, provisioner.usage(List.of(a, b)).memoryMiB());
    // Stopped, and nobody told the cache: the refusal it would give is checked with libvirt.
    hypervisor.destroy(a.uuid());
    provisioner.checkStart(ALICE, b, List.of(a, b));
    assertEquals(0, provisioner.usage(List.of(a, b)).memoryMiB());
  }

  @Test
  void aStatusObservedOrAChangeNotedIsWhatTheNextReportCounts() throws Exception {
    assertEquals(0, provisioner.usage(List.of(a, b)).memoryMiB());
    hypervisor.start(b.uuid());
    // Until told, the cache keeps what libvirt said; that is what the events are for.
    assertEquals(0, provisioner.usage(List.of(a, b)).memoryMiB());
    provisioner.observed(hypervisor.status(b.uuid()));
    assertEquals(384, provisioner.usage(List.of(a, b)).memoryMiB());
    hypervisor.destroy(b.uuid());
    provisioner.changed(b.uuid());
    assertEquals(0, provisioner.usage(List.of(a, b)).memoryMiB());
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
