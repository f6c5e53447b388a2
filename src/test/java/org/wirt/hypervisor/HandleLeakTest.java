package org.wirt.hypervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Every libvirt handle wirt takes is freed: a handle left behind keeps its connection open after
 * {@code close()}. On the test driver that is visible, because its state lives exactly as long
 * as some connection to it does.
 */
class HandleLeakTest {

  @Test
  void snapshotsTakenAndDeletedLeaveNoHandleBehind() throws Exception {
    UUID id;
    try (LibvirtHypervisor hv = LibvirtHypervisor.open("test:///default")) {
      id = hv.define(LibvirtHypervisorTest.testDomainXml("leak-check"));
      Storage storage = hv.storage();
      storage.snapshot(id, "one");
      storage.snapshot(id, "two");
      assertEquals(java.util.List.of("one", "two"), storage.snapshots(id));
      storage.revert(id, "one");
      storage.deleteSnapshot(id, "two");
      storage.deleteSnapshot(id, "one");
      assertTrue(storage.snapshots(id).isEmpty());
    }
    try (LibvirtHypervisor hv = LibvirtHypervisor.open("test:///default")) {
      assertTrue(hv.managedDomain(id).isEmpty() && !hv.storage().domainExists("leak-check"),
          "the driver's state went with the last connection, so no handle kept it open");
    }
  }
}
