package org.wirt.hypervisor;

import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * A domain as libvirt reports it at one moment.
 *
 * @param reason libvirt's reason for the state in lower case ({@code "booted"}, {@code
 *     "shutdown"}, {@code "destroyed"}, {@code "crashed"}...), or {@code "unknown"}
 */
public record DomainStatus(
    UUID uuid,
    String name,
    DomainState state,
    String reason,
    int vcpus,
    long memoryMiB,
    boolean autostart,
    List<Address> addresses) {

  public DomainStatus {
    Objects.requireNonNull(uuid, "uuid");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(reason, "reason");
    addresses = List.copyOf(addresses);
  }

  /** The status of a domain that no longer exists. */
  public static DomainStatus undefined(UUID uuid, String name) {
    return new DomainStatus(uuid, name, DomainState.UNDEFINED, "undefined", 0, 0, false, List.of());
  }

  /** One IP address of one of the guest's interfaces. */
  public record Address(String iface, String mac, String ip, int prefix) {}
}
