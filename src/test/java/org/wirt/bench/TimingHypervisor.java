package org.wirt.bench;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.wirt.hypervisor.DomainAction;
import org.wirt.hypervisor.DomainStatus;
import org.wirt.hypervisor.Hypervisor;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.LifecycleEvent;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.hypervisor.Owner;

/**
 * Passes every call to the real hypervisor and notes when the last power call for each domain
 * began, so a benchmark can tell how long a command took from its file to libvirt.
 */
final class TimingHypervisor implements Hypervisor {
  private final Hypervisor real;
  private final Map<UUID, Long> lastCall = new ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicLong calls = new java.util.concurrent.atomic.AtomicLong();

  /** Returns how many start and destroy calls were made. */
  long calls() {
    return calls.get();
  }

  TimingHypervisor(Hypervisor real) {
    this.real = real;
  }

  private void called(UUID uuid) {
    lastCall.put(uuid, System.nanoTime());
    calls.incrementAndGet();
    synchronized (this) {
      notifyAll();
    }
  }

  /**
   * Waits, without spinning, for a start or destroy of the domain made after {@code afterNanos}
   * (a spinning waiter keeps a core awake and makes the daemon look faster than on an idle host).
   */
  synchronized void awaitCall(UUID uuid, long afterNanos) throws InterruptedException {
    long deadline = System.nanoTime() + 600_000_000_000L;
    while (lastCall(uuid) <= afterNanos) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new IllegalStateException("benchmark timed out waiting for a call to " + uuid);
      }
      wait(left / 1_000_000 + 1);
    }
  }

  /** Returns System.nanoTime() of the last start or destroy of the domain, or 0. */
  long lastCall(UUID uuid) {
    return lastCall.getOrDefault(uuid, 0L);
  }

  @Override
  public org.wirt.hypervisor.Storage storage() throws HypervisorException {
    return real.storage();
  }

  @Override
  public List<ManagedDomain> managedDomains() throws HypervisorException {
    return real.managedDomains();
  }

  @Override
  public Optional<ManagedDomain> managedDomain(UUID uuid) throws HypervisorException {
    return real.managedDomain(uuid);
  }

  @Override
  public DomainStatus status(UUID uuid) throws HypervisorException {
    return real.status(uuid);
  }

  @Override
  public Optional<org.wirt.hypervisor.DomainMetrics> metrics(UUID uuid)
      throws HypervisorException {
    return real.metrics(uuid);
  }

  @Override
  public void act(DomainAction action, UUID uuid) throws HypervisorException {
    if (action == DomainAction.START || action == DomainAction.DESTROY) {
      called(uuid);
    }
    real.act(action, uuid);
  }

  @Override
  public void awaitNoJob(UUID uuid, java.time.Duration max) throws HypervisorException {
    real.awaitNoJob(uuid, max);
  }

  @Override
  public void setAutostart(UUID uuid, boolean enabled) throws HypervisorException {
    real.setAutostart(uuid, enabled);
  }

  @Override
  public ManagedDomain define(String domainXml, Owner owner) throws HypervisorException {
    return real.define(domainXml, owner);
  }

  @Override
  public ManagedDomain assign(String domainName, Owner owner) throws HypervisorException {
    return real.assign(domainName, owner);
  }

  @Override
  public Optional<Owner> unassign(String domainName) throws HypervisorException {
    return real.unassign(domainName);
  }

  @Override
  public void onLifecycle(Consumer<LifecycleEvent> listener) throws HypervisorException {
    real.onLifecycle(listener);
  }

  @Override
  public boolean isAlive() {
    return real.isAlive();
  }

  @Override
  public void close() {
    real.close();
  }
}
