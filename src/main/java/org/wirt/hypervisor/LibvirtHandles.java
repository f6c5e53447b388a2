package org.wirt.hypervisor;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.LibvirtException;
import org.libvirt.Network;
import org.libvirt.StoragePool;
import org.libvirt.StorageVol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Looks up libvirt objects on one connection and frees them after use. Every handle libvirt-java
 * hands out holds a reference on the connection until it is freed, and a connection with handles
 * left never closes (HandleLeakTest), so the domain and the storage code take them from here and
 * give them back through {@link #using}.
 */
final class LibvirtHandles {
  private static final Logger log = LoggerFactory.getLogger(LibvirtHandles.class);

  /** What is done with a handle while it is held. */
  @FunctionalInterface
  interface Use<H, T> {
    T apply(H handle) throws LibvirtException, HypervisorException;
  }

  /** How a kind of handle is given back. */
  @FunctionalInterface
  interface Free<H> {
    void free(H handle) throws LibvirtException;
  }

  /** A libvirt lookup. */
  @FunctionalInterface
  interface Lookup<H> {
    H find() throws LibvirtException;
  }

  private final Connect connect;

  LibvirtHandles(Connect connect) {
    this.connect = Objects.requireNonNull(connect, "connect");
  }

  /** The domain with this UUID, or empty if libvirt has none; the caller frees it. */
  Optional<Domain> domain(UUID uuid) throws LibvirtException {
    return lookup(() -> connect.domainLookupByUUIDString(uuid.toString()), ErrorNumber.VIR_ERR_NO_DOMAIN);
  }

  /** The domain with this name, or empty if libvirt has none; the caller frees it. */
  Optional<Domain> domain(String name) throws LibvirtException {
    return lookup(() -> connect.domainLookupByName(name), ErrorNumber.VIR_ERR_NO_DOMAIN);
  }

  /** The running domain with this id, or empty if it stopped meanwhile; the caller frees it. */
  Optional<Domain> domain(int id) throws LibvirtException {
    return lookup(() -> connect.domainLookupByID(id), ErrorNumber.VIR_ERR_NO_DOMAIN);
  }

  /** The network with this name, or empty if libvirt has none; the caller frees it. */
  Optional<Network> network(String name) throws LibvirtException {
    return lookup(() -> connect.networkLookupByName(name), ErrorNumber.VIR_ERR_NO_NETWORK);
  }

  /** The storage pool with this name, or empty; the caller frees it. */
  Optional<StoragePool> pool(String name) throws LibvirtException {
    return lookup(() -> connect.storagePoolLookupByName(name), ErrorNumber.VIR_ERR_NO_STORAGE_POOL);
  }

  /** The volume at this path, or empty; the caller frees it. */
  Optional<StorageVol> volume(Path path) throws LibvirtException {
    return lookup(() -> connect.storageVolLookupByPath(path.toString()), ErrorNumber.VIR_ERR_NO_STORAGE_VOL);
  }

  /** The volume {@code name} of {@code pool}, or empty if it went meanwhile; the caller frees it. */
  static Optional<StorageVol> volume(StoragePool pool, String name) throws LibvirtException {
    return lookup(() -> pool.storageVolLookupByName(name), ErrorNumber.VIR_ERR_NO_STORAGE_VOL);
  }

  /** Runs {@code use} on {@code domain} and frees it, whatever {@code use} does. */
  static <T> T using(Domain domain, Use<Domain, T> use) throws LibvirtException, HypervisorException {
    return using(domain, Domain::free, use);
  }

  /** Runs {@code use} on {@code handle} and frees it with {@code free}, whatever {@code use} does. */
  static <H, T> T using(H handle, Free<H> free, Use<H, T> use)
      throws LibvirtException, HypervisorException {
    try {
      return use.apply(handle);
    } finally {
      free(handle, free);
    }
  }

  /** Frees a domain handle; a failure to free is logged, never thrown. */
  static void free(Domain domain) {
    free(domain, Domain::free);
  }

  /** Frees a network handle; a failure to free is logged, never thrown. */
  static void free(Network network) {
    free(network, Network::free);
  }

  /** The domain's name, or {@code fallback} if libvirt cannot say. */
  static String nameOr(Domain domain, String fallback) {
    try {
      return domain.getName();
    } catch (LibvirtException e) {
      return fallback;
    }
  }

  private static <H> void free(H handle, Free<H> free) {
    try {
      free.free(handle);
    } catch (LibvirtException e) {
      log.debug("cannot free libvirt handle type={}", handle.getClass().getSimpleName(), e);
    }
  }

  private static <H> Optional<H> lookup(Lookup<H> lookup, ErrorNumber absent) throws LibvirtException {
    try {
      return Optional.of(lookup.find());
    } catch (LibvirtException e) {
      if (LibvirtErrors.is(e, absent)) {
        return Optional.empty();
      }
      throw e;
    }
  }
}
