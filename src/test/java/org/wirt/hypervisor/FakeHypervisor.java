package org.wirt.hypervisor;

import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** A hand-written hypervisor for tests of connection handling: it can lose its connection. */
final class FakeHypervisor implements Hypervisor {
  volatile boolean reachable = true;
  volatile boolean closed;
  /** When set, calls are refused with this message, as libvirt refuses an invalid operation. */
  volatile String refusal;
  final List<Consumer<LifecycleEvent>> listeners = new CopyOnWriteArrayList<>();
  final List<String> calls = new CopyOnWriteArrayList<>();

  private void call(String what) throws HypervisorException {
    if (!reachable || closed) {
      throw new HypervisorException(what + ": End of file while reading data", true, null);
    }
    if (refusal != null) {
      throw new HypervisorException(what + ": " + refusal);
    }
    calls.add(what);
  }

  void emit(LifecycleEvent event) {
    listeners.forEach(l -> l.accept(event));
  }

  @Override
  public List<ManagedDomain> managedDomains() throws HypervisorException {
    call("managedDomains");
    return List.of();
  }

  @Override
  public Optional<ManagedDomain> managedDomain(UUID uuid) throws HypervisorException {
    call("managedDomain");
    return Optional.empty();
  }

  @Override
  public DomainStatus status(UUID uuid) throws HypervisorException {
    call("status");
    return DomainStatus.undefined(uuid, "x");
  }

  @Override
  public void act(DomainAction action, UUID uuid) throws HypervisorException {
    call(action.attempt());
  }

  @Override
  public void setAutostart(UUID uuid, boolean enabled) throws HypervisorException {
    call("setAutostart");
  }

  @Override
  public ManagedDomain define(String domainXml, Owner owner) throws HypervisorException {
    call("define");
    return new ManagedDomain(UUID.randomUUID(), "x", owner);
  }

  @Override
  public ManagedDomain assign(String domainName, Owner owner) throws HypervisorException {
    call("assign");
    return new ManagedDomain(UUID.randomUUID(), domainName, owner);
  }

  @Override
  public Optional<Owner> unassign(String domainName) throws HypervisorException {
    call("unassign");
    return Optional.empty();
  }

  @Override
  public void onLifecycle(Consumer<LifecycleEvent> listener) throws HypervisorException {
    call("onLifecycle");
    listeners.add(listener);
  }

  @Override
  public boolean isAlive() {
    return reachable && !closed;
  }

  @Override
  public void close() {
    closed = true;
  }
}
