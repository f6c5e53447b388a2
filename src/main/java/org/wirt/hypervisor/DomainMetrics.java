package org.wirt.hypervisor;

import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.UUID;

/**
 * What a running domain uses, as libvirt reports it at one moment ({@code metrics.json}).
 *
 * @param state the state it was read in (one that holds resources: running, paused...)
 * @param cpuTimeNs CPU time the domain has used since it started, in nanoseconds, all vCPUs
 * @param memoryKiB memory the guest has now (its balloon's size)
 * @param maxMemoryKiB memory the guest may have at most
 * @param rssKiB memory of the QEMU process on the host, if the driver reports it
 * @param guestUsedKiB memory the guest itself uses (available minus unused, from its balloon
 *     driver), if the guest reports it
 */
public record DomainMetrics(
    UUID uuid,
    String name,
    DomainState state,
    int vcpus,
    long cpuTimeNs,
    long memoryKiB,
    long maxMemoryKiB,
    OptionalLong rssKiB,
    OptionalLong guestUsedKiB,
    List<Disk> disks,
    List<Nic> nics) {

  public DomainMetrics {
    Objects.requireNonNull(uuid, "uuid");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(rssKiB, "rssKiB");
    Objects.requireNonNull(guestUsedKiB, "guestUsedKiB");
    disks = List.copyOf(disks);
    nics = List.copyOf(nics);
  }

  /**
   * One disk, from {@code virDomainGetBlockInfo}.
   *
   * @param target the guest's name for it ({@code vda})
   * @param capacityBytes the size the guest sees
   * @param allocationBytes what the host has allocated for it (for a qcow2 file: its clusters)
   * @param physicalBytes the size of the file or device on the host
   */
  public record Disk(String target, long capacityBytes, long allocationBytes, long physicalBytes) {
    public Disk {
      Objects.requireNonNull(target, "target");
    }
  }

  /**
   * One network card, from {@code virDomainInterfaceStats}, counted since the card was made.
   *
   * @param target the host's name for it ({@code vnet3}), or its MAC address if it has none
   */
  public record Nic(String target, String mac, long rxBytes, long txBytes, long rxPackets,
      long txPackets) {
    public Nic {
      Objects.requireNonNull(target, "target");
    }
  }

  /** What the host has allocated for all disks. */
  public long diskAllocationBytes() {
    return disks.stream().mapToLong(Disk::allocationBytes).sum();
  }

  /** Bytes received over all cards. */
  public long rxBytes() {
    return nics.stream().mapToLong(Nic::rxBytes).sum();
  }

  /** Bytes sent over all cards. */
  public long txBytes() {
    return nics.stream().mapToLong(Nic::txBytes).sum();
  }
}
