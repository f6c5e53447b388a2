package org.wirt.hypervisor;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.libvirt.Domain;
import org.libvirt.DomainInterface;
import org.libvirt.LibvirtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What {@code status.json} shows of a libvirt domain, read from its handle. */
final class DomainReadings {
  private static final Logger log = LoggerFactory.getLogger(DomainReadings.class);

  private DomainReadings() {}

  /** The domain's state, settings and, if it runs, addresses. */
  static DomainStatus status(UUID uuid, String name, Domain domain)
      throws LibvirtException, NativeDomain.NativeCallException {
    NativeDomain.Snapshot snapshot = NativeDomain.snapshot(domain);
    DomainState state = DomainStates.state(snapshot.state());
    return new DomainStatus(
        uuid,
        name,
        state,
        DomainStates.reason(snapshot.state(), snapshot.reason()),
        snapshot.vcpus(),
        snapshot.memoryKiB() / 1024,
        domain.getAutostart(),
        state == DomainState.RUNNING ? addresses(domain) : List.of());
  }

  /**
   * The guest's addresses from the first of libvirt's three sources that knows any: the guest
   * agent (the guest's own view, every interface), the DHCP leases of libvirt's networks, then the
   * host's ARP table (a static address on a network libvirt runs no DHCP for).
   */
  private static List<DomainStatus.Address> addresses(Domain domain) {
    for (int source : new int[] {
        Domain.InterfaceAddressesSource.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT,
        Domain.InterfaceAddressesSource.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE,
        Domain.InterfaceAddressesSource.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_ARP}) {
      try {
        List<DomainStatus.Address> addresses = new ArrayList<>();
        for (DomainInterface iface : domain.interfaceAddresses(source, 0)) {
          for (DomainInterface.InterfaceAddress address : iface.addrs) {
            if (address.address.isLoopbackAddress() || address.address.isLinkLocalAddress()) {
              continue; // the agent reports lo and fe80::, which reach nothing from outside
            }
            addresses.add(new DomainStatus.Address(
                iface.name, iface.hwAddr, address.address.getHostAddress(), address.prefixLength));
          }
        }
        if (!addresses.isEmpty()) {
          return addresses;
        }
      } catch (LibvirtException | RuntimeException e) {
        // No DHCP lease, no guest agent, no NIC at all: the guest simply has no known address.
        log.trace("no addresses source={}", source, e);
      }
    }
    return List.of();
  }
}
