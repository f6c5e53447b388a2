package org.wirt.hostname;

import java.io.IOException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.config.DomainsConfig;
import org.wirt.hypervisor.DnsHostXml;
import org.wirt.hypervisor.DomainState;
import org.wirt.hypervisor.DomainStatus;
import org.wirt.hypervisor.Hypervisor;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.tree.HomeTree;
import org.wirt.tree.Identity;

/**
 * What the network's DNS holds of the names: points a wanted name at its VM's address (or says
 * why it cannot yet), withdraws the others, and, at every sweep, follows the VMs: a name waits
 * for its VM's first address, follows a new one, and is withdrawn when the VM is gone. Runs on
 * the host name thread, as {@link HostNameServer} does.
 */
final class Publication {
  private static final Logger log = LoggerFactory.getLogger(Publication.class);

  private final DomainsConfig config;
  private final Claims claims;
  private final HostNameServer.VmLookup vms;
  private final Hypervisor hypervisor;
  private final HostRecords records;
  private final Function<String, Optional<HomeTree>> trees;

  Publication(DomainsConfig config, Claims claims, HostNameServer.VmLookup vms,
      Hypervisor hypervisor, HostRecords records, Function<String, Optional<HomeTree>> trees) {
    this.config = Objects.requireNonNull(config, "config");
    this.claims = Objects.requireNonNull(claims, "claims");
    this.vms = Objects.requireNonNull(vms, "vms");
    this.hypervisor = Objects.requireNonNull(hypervisor, "hypervisor");
    this.records = Objects.requireNonNull(records, "records");
    this.trees = Objects.requireNonNull(trees, "trees");
  }

  /**
   * Brings the network's DNS in line with {@code next} (null: the name released), and returns the
   * claim with what is published now, as written to the registry.
   */
  Claims.Claim apply(String fqdn, Claims.Claim before, Claims.Claim next, Identity id)
      throws HypervisorException {
    if (next == null || !next.wanted()) {
      if (before != null && before.address() != null || next == null) {
        // Also when wirt has no record of it: withdrawing is idempotent, and a stale entry left by
        // a crash between the registry and libvirt goes too.
        hypervisor.storage().pointDnsHost(config.network(), fqdn, null);
      }
      if (next == null) {
        return null;
      }
      Claims.Claim unpublished = next.withPublication(null, "not published: 'start' publishes it");
      save(unpublished);
      return unpublished;
    }
    Claims.Claim now = publish(next, id, hypervisor.storage().networkSubnets(config.network()));
    save(now);
    return now;
  }

  /** Points the name at its VM's current address, or says why it cannot yet. */
  private Claims.Claim publish(Claims.Claim c, Identity id, List<String> subnets)
      throws HypervisorException {
    Optional<ManagedDomain> domain = vms.find(id, c.vm());
    if (domain.isEmpty()) {
      if (c.address() != null) {
        hypervisor.storage().pointDnsHost(config.network(), c.fqdn(), null);
      }
      return c.withPublication(null, "VM '" + c.vm() + "' no longer exists or is no longer yours;"
          + " the name is withdrawn until it points at a VM of yours");
    }
    DomainStatus status = hypervisor.status(domain.get().uuid());
    if (status.state() == DomainState.UNDEFINED) {
      if (c.address() != null) {
        hypervisor.storage().pointDnsHost(config.network(), c.fqdn(), null);
      }
      return c.withPublication(null, "VM '" + c.vm() + "' no longer exists");
    }
    Optional<String> ip = ipv4(status, subnets);
    if (ip.isEmpty()) {
      // A VM that is off keeps its last address published: it gets it back from DHCP.
      return c.address() != null ? c.withPublication(c.address(), null)
          : c.withPublication(null, "VM '" + c.vm() + "' has no IPv4 address yet (it is "
              + status.state().json() + "); wirt publishes the name once it has one");
    }
    hypervisor.storage().pointDnsHost(config.network(), c.fqdn(), ip.get());
    return c.withPublication(ip.get(), null);
  }

  /**
   * The VM's IPv4 address on the network (in one of its subnets), or, if it has none there, its
   * first IPv4 address: the network's DNS answers the VMs on it, which reach that address.
   */
  static Optional<String> ipv4(DomainStatus status, List<String> subnets) {
    List<String> all = status.addresses().stream().map(DomainStatus.Address::ip)
        .filter(ip -> DnsHostXml.isIpv4(ip) && !ip.startsWith("127.")).toList();
    return all.stream().filter(ip -> subnets.stream().anyMatch(n -> DnsHostXml.inSubnet(ip, n)))
        .findFirst().or(() -> all.stream().findFirst());
  }

  private void save(Claims.Claim c) throws HypervisorException {
    try {
      claims.set(c.fqdn(), c);
    } catch (IOException e) {
      throw new HypervisorException("cannot write the host name registry: " + e.getMessage());
    }
  }

  /**
   * The periodic pass: publishes names whose VM got an address, follows changed addresses,
   * withdraws names whose VM is gone, and writes each held name's {@code settings.json}.
   */
  void reconcile() {
    if (!config.enabled()) {
      return;
    }
    List<Claims.Claim> all = claims.all();
    if (all.stream().noneMatch(Claims.Claim::wanted)) {
      return;
    }
    List<String> subnets;
    try {
      subnets = hypervisor.storage().networkSubnets(config.network());
    } catch (HypervisorException e) {
      log.warn("cannot read network={}; names are brought up to date at the next sweep",
          config.network(), e);
      return;
    }
    for (Claims.Claim c : all) {
      if (!c.wanted()) {
        continue;
      }
      Optional<HomeTree> tree = trees.apply(c.user());
      if (tree.isEmpty() || tree.get().identity().uid() != c.uid()) {
        continue;
      }
      Claims.Claim now;
      try {
        now = publish(c, tree.get().identity(), subnets);
      } catch (HypervisorException e) {
        now = c.withPublication(c.address(), e.getMessage());
        log.warn("cannot publish user={} fqdn={}", c.user(), c.fqdn(), e);
      }
      if (!now.equals(c)) {
        try {
          claims.set(c.fqdn(), now);
        } catch (IOException e) {
          log.warn("cannot write the host name registry fqdn={}", c.fqdn(), e);
          continue;
        }
        log.info("host name updated user={} fqdn={} address={} pending=\"{}\"", c.user(),
            c.fqdn(), now.address(), now.pending());
        records.settings(tree.get(), c.label(), c.fqdn(), now);
        records.nameLog(tree.get(), c.label(), now.address() != null
            ? "published " + c.fqdn() + " -> " + now.address()
            : "withdrawn or waiting: " + now.pending());
      }
    }
  }

}
