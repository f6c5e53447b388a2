package org.wirt.hypervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link LibvirtHypervisor#metrics} against libvirt's {@code test:///default} driver, whose
 * running domain {@code test} has a disk {@code vda} and a card {@code testnet0} with statistics.
 */
class DomainMetricsTest {
  private LibvirtHypervisor hypervisor;

  @BeforeEach
  void connect() throws HypervisorException {
    hypervisor = LibvirtHypervisor.open("test:///default");
  }

  @AfterEach
  void disconnect() {
    hypervisor.close();
  }

  @Test
  void aRunningDomainHasCpuTimeMemoryDiskAndNetworkFigures() throws Exception {
    UUID test = hypervisor.uuidOf("test").orElseThrow();

    DomainMetrics m = hypervisor.metrics(test).orElseThrow();

    assertEquals("test", m.name());
    assertEquals(DomainState.RUNNING, m.state());
    assertEquals(2, m.vcpus());
    assertTrue(m.cpuTimeNs() > 0, m.toString());
    assertEquals(2 * 1024 * 1024, m.memoryKiB());
    assertEquals(8 * 1024 * 1024, m.maxMemoryKiB());
    assertTrue(m.rssKiB().isPresent(), m.toString());
    // The test driver's balloon says 2 GiB available, 1 GiB unused.
    assertEquals(1024 * 1024, m.guestUsedKiB().orElseThrow());
    assertEquals(List.of("vda"), m.disks().stream().map(DomainMetrics.Disk::target).toList());
    assertTrue(m.diskAllocationBytes() > 0, m.toString());
    assertEquals(List.of("testnet0"), m.nics().stream().map(DomainMetrics.Nic::target).toList());
    assertEquals("aa:bb:cc:dd:ee:ff", m.nics().get(0).mac());
    assertTrue(m.rxBytes() > 0 && m.txBytes() > 0, m.toString());
  }

  @Test
  void theCpuTimeGrowsBetweenReadings() throws Exception {
    UUID test = hypervisor.uuidOf("test").orElseThrow();
    long first = hypervisor.metrics(test).orElseThrow().cpuTimeNs();
    // The test driver's CPU time is the wall clock's; poll, no sleep.
    long deadline = System.nanoTime() + 5_000_000_000L;
    long next = first;
    while (next == first && System.nanoTime() < deadline) {
      next = hypervisor.metrics(test).orElseThrow().cpuTimeNs();
    }
    assertTrue(next > first, first + " then " + next);
  }

  @Test
  void aShutOffOrUnknownDomainHasNone() throws Exception {
    UUID test = hypervisor.uuidOf("test").orElseThrow();
    hypervisor.destroy(test);

    assertEquals(Optional.empty(), hypervisor.metrics(test));
    assertEquals(Optional.empty(), hypervisor.metrics(UUID.randomUUID()));
  }

  @Test
  void aDomainWithoutDevicesHasNoDisksOrCards() throws Exception {
    UUID bare = hypervisor.define(LibvirtHypervisorTest.testDomainXml("bare"));
    hypervisor.start(bare);

    DomainMetrics m = hypervisor.metrics(bare).orElseThrow();

    assertEquals(List.of(), m.disks());
    assertEquals(List.of(), m.nics());
    assertEquals(192 * 1024, m.memoryKiB());
    assertEquals(0, m.diskAllocationBytes());
  }
}
