package org.wirt.hypervisor;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * The libvirt hosts one wirtd drives, by name (the configuration's {@code hosts}). With one
 * host, today's configuration, there is one name and every domain is on it.
 */
public interface HostDirectory {

  /** What a VM needs of a host: placement compares it with the host's free capacity. */
  record Need(int vcpus, int memoryMiB, long diskBytes, String image) {}

  /** The host names, in the configuration's order. */
  List<String> names();

  /**
   * The connection to one host (reconnecting on its own).
   *
   * @throws HypervisorException if no host has that name
   */
  Hypervisor host(String name) throws HypervisorException;

  /** The host a domain is on, as last seen; empty if no host has it. */
  Optional<String> hostOf(UUID uuid);

  /**
   * Picks the host for a VM with this need: up, not draining, holding {@code need.image()} (null:
   * any), other than {@code except} (null: none left out), with the most free capacity.
   *
   * @throws HypervisorException if no host qualifies, saying why for each
   */
  String place(Need need, String except) throws HypervisorException;

  /** A directory of one host, named {@code name}: today's configuration. */
  static HostDirectory single(String name, Hypervisor hypervisor) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(hypervisor, "hypervisor");
    return new HostDirectory() {
      @Override
      public List<String> names() {
        return List.of(name);
      }

      @Override
      public Hypervisor host(String n) throws HypervisorException {
        if (!name.equals(n)) {
          throw new HypervisorException("no libvirt host is named \"" + n + "\"; the one host is \""
              + name + "\"");
        }
        return hypervisor;
      }

      @Override
      public Optional<String> hostOf(UUID uuid) {
        return Optional.of(name);
      }

      @Override
      public String place(Need need, String except) throws HypervisorException {
        if (name.equals(except)) {
          throw new HypervisorException("no other libvirt host than \"" + name + "\" is configured");
        }
        return name;
      }
    };
  }
}
