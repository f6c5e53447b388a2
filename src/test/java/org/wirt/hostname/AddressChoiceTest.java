package org.wirt.hostname;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.wirt.hypervisor.DomainState;
import org.wirt.hypervisor.DomainStatus;

class AddressChoiceTest {

  private static DomainStatus with(String... ips) {
    List<DomainStatus.Address> addresses = new java.util.ArrayList<>();
    for (String ip : ips) {
      addresses.add(new DomainStatus.Address("vnet0", "52:54:00:00:00:01", ip, 24));
    }
    return new DomainStatus(java.util.UUID.randomUUID(), "d", DomainState.RUNNING, "booted", 1,
        256, false, addresses);
  }

  @Test
  void prefersTheAddressOnTheNetworkThenTheFirstIpv4() {
    DomainStatus s = with("fd00::5", "192.168.1.5", "10.97.0.12");
    assertEquals(Optional.of("10.97.0.12"), Publication.ipv4(s, List.of("10.97.0.1/24")));
    assertEquals(Optional.of("192.168.1.5"), Publication.ipv4(s, List.of()));
    assertEquals(Optional.of("192.168.1.5"), Publication.ipv4(s, List.of("10.98.0.1/24")));
    assertEquals(Optional.empty(), Publication.ipv4(with("fd00::5", "127.0.0.1"), List.of()));
  }
}
