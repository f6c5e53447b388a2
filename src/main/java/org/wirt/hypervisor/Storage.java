package org.wirt.hypervisor;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The storage and definition calls provisioning needs (SPEC 5 {@code create}, {@code delete}),
 * made on the same libvirt connection as everything else: the test driver keeps a private state
 * per connection.
 */
public interface Storage {

  /** A storage volume: its name, path, virtual size and backing file (if any). */
  record Volume(String name, Path path, long capacityBytes, Optional<Path> backingFile) {}

  /**
   * Makes sure a directory pool with this name exists at {@code directory}, is running and starts
   * with the host; defines, builds and starts it when missing.
   *
   * @throws HypervisorException if a pool of that name exists at another directory
   */
  void ensureDirPool(String pool, Path directory) throws HypervisorException;

  /**
   * Creates a qcow2 volume {@code name} in the pool whose backing file is {@code backing} (of
   * {@code backingFormat}, {@code qcow2} or {@code raw}), {@code capacityBytes} large.
   */
  Volume createOverlay(String pool, String name, Path backing, String backingFormat,
      long capacityBytes) throws HypervisorException;

  /** Makes libvirt look at the pool's directory again (a file was written there). */
  void refreshPool(String pool) throws HypervisorException;

  /** Returns the pool's volumes, with their backing files; none when there is no such pool. */
  List<Volume> volumes(String pool) throws HypervisorException;

  /** Returns the volume at this path, if libvirt knows one. */
  Optional<Volume> volume(Path path) throws HypervisorException;

  /** Deletes the volume at {@code path}; returns false if libvirt knows no volume there. */
  boolean deleteVolume(Path path) throws HypervisorException;

  /** Returns the element in {@code namespace} of the domain's {@code <metadata>}, if any. */
  Optional<String> metadata(UUID uuid, String namespace) throws HypervisorException;

  /**
   * Removes the domain's persistent definition with its snapshot metadata, managed save image and
   * NVRAM. The domain must be shut off.
   */
  void undefineCompletely(UUID uuid) throws HypervisorException;

  /** The vCPUs and memory of a domain's persistent definition: what its next boot gets. */
  record NextBoot(int vcpus, int memoryMiB) {}

  /** Returns the vCPUs and memory the domain's next boot gets. */
  NextBoot nextBoot(UUID uuid) throws HypervisorException;

  /**
   * Changes the vCPUs and memory of the domain's persistent definition (maximum and current);
   * a running domain keeps its own until it boots again.
   */
  void setNextBoot(UUID uuid, NextBoot settings) throws HypervisorException;

  /** Returns the names of the domain's snapshots, sorted. */
  List<String> snapshots(UUID uuid) throws HypervisorException;

  /** Takes a snapshot named {@code name} (for a shut-off qcow2 domain: internal, disk only). */
  void snapshot(UUID uuid, String name) throws HypervisorException;

  /** Brings the domain back to its snapshot {@code name}. */
  void revert(UUID uuid, String name) throws HypervisorException;

  /** Deletes the snapshot {@code name} (its children stay, rebased onto its parent). */
  void deleteSnapshot(UUID uuid, String name) throws HypervisorException;

  /** Returns whether a domain of this name exists, whoever owns it. */
  boolean domainExists(String name) throws HypervisorException;

  /** Returns whether libvirt has a network of this name, running or not. */
  default boolean networkExists(String name) throws HypervisorException {
    return true;
  }

  /**
   * Makes {@code fqdn} resolve to {@code ip} in the DNS of the libvirt network {@code network}
   * (its {@code <dns><host>} entries, live if the network runs and in its definition), or with
   * {@code ip} null makes it resolve to nothing there. Other names stay. Idempotent: pointing a
   * name where it points already, or removing one that is not there, changes nothing.
   *
   * @return whether the network was changed
   */
  default boolean pointDnsHost(String network, String fqdn, String ip) throws HypervisorException {
    throw new HypervisorException("set DNS host " + fqdn + " in network " + network
        + ": this hypervisor has no network DNS");
  }

  /**
   * The IPv4 subnets of the libvirt network {@code network} ({@code <ip address netmask|prefix>}),
   * as {@code address/prefix}; empty if it has none or this hypervisor cannot tell.
   */
  default List<String> networkSubnets(String network) throws HypervisorException {
    return List.of();
  }
}
