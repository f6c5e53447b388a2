package org.wirt.hypervisor;

import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * What wirt needs from a hypervisor. {@link LibvirtHypervisor} is the real one; tests of queueing
 * and ordering may use a hand-written fake.
 *
 * <p>Every method that acts on a domain takes its UUID, never its name: names are what users
 * control, UUIDs are what libvirt guarantees.
 */
public interface Hypervisor extends AutoCloseable {

  /** Returns every domain that carries wirt owner metadata. */
  List<ManagedDomain> managedDomains() throws HypervisorException;

  /** Returns the domain with this UUID and its owner metadata, if it exists and carries any. */
  Optional<ManagedDomain> managedDomain(UUID uuid) throws HypervisorException;

  /** Returns the observed state and settings of a domain; {@link DomainState#UNDEFINED} if gone. */
  DomainStatus status(UUID uuid) throws HypervisorException;

  /**
   * Returns what the domain uses now (CPU time, memory, disks, network), or empty if it does not
   * run or no longer exists; a hypervisor that cannot tell returns empty.
   */
  default Optional<DomainMetrics> metrics(UUID uuid) throws HypervisorException {
    return Optional.empty();
  }

  /**
   * Asks libvirt for {@code action} on the domain; a shutdown or reboot asks the guest and returns
   * at once. The methods {@link #start} to {@link #resume} are shorthands for it.
   */
  void act(DomainAction action, UUID uuid) throws HypervisorException;

  default void start(UUID uuid) throws HypervisorException {
    act(DomainAction.START, uuid);
  }

  /** Asks the guest to shut down (ACPI power button); returns at once. */
  default void shutdown(UUID uuid) throws HypervisorException {
    act(DomainAction.SHUTDOWN, uuid);
  }

  default void destroy(UUID uuid) throws HypervisorException {
    act(DomainAction.DESTROY, uuid);
  }

  /** Asks the guest to reboot (ACPI); returns at once. */
  default void reboot(UUID uuid) throws HypervisorException {
    act(DomainAction.REBOOT, uuid);
  }

  default void reset(UUID uuid) throws HypervisorException {
    act(DomainAction.RESET, uuid);
  }

  default void suspend(UUID uuid) throws HypervisorException {
    act(DomainAction.SUSPEND, uuid);
  }

  default void resume(UUID uuid) throws HypervisorException {
    act(DomainAction.RESUME, uuid);
  }

  void setAutostart(UUID uuid, boolean enabled) throws HypervisorException;

  /**
   * Defines a persistent domain from libvirt domain XML and gives it to an owner.
   *
   * @return the new domain
   */
  ManagedDomain define(String domainXml, Owner owner) throws HypervisorException;

  /**
   * Writes owner metadata into the named domain's persistent (and, if running, live) definition.
   *
   * @return the domain with its new owner
   */
  ManagedDomain assign(String domainName, Owner owner) throws HypervisorException;

  /** Removes wirt's owner metadata from the named domain; returns the owner it had, if any. */
  Optional<Owner> unassign(String domainName) throws HypervisorException;

  /**
   * Registers a listener for lifecycle events of all domains (started, stopped, crashed,
   * defined, undefined, suspended, resumed...). The listener runs on libvirt's event thread and
   * must return quickly.
   */
  void onLifecycle(Consumer<LifecycleEvent> listener) throws HypervisorException;

  /**
   * Waits, up to {@code max}, until libvirt runs no job on the domain (a start or destroy that a
   * killed wirtd asked for may still be under way); returns at once where the driver cannot tell.
   */
  default void awaitNoJob(UUID uuid, java.time.Duration max) throws HypervisorException {}

  /**
   * Returns the storage and definition calls of provisioning.
   *
   * @throws HypervisorException if this hypervisor cannot provision
   */
  default Storage storage() throws HypervisorException {
    throw new HypervisorException("this hypervisor cannot create or delete VMs");
  }

  /**
   * Returns false once the connection is known to be lost (a cheap local check, no round trip).
   */
  default boolean isAlive() {
    return true;
  }

  @Override
  void close();
}
