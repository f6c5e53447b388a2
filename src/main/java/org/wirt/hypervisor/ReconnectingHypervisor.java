package org.wirt.hypervisor;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.threads.ThreadFailures;

/**
 * A hypervisor that outlives libvirtd restarts: when the connection is lost (a call fails as
 * unreachable, or the periodic liveness check says so) it fails every call at once as {@linkplain
 * HypervisorException#unreachable() unreachable}, reconnects in the background with exponential
 * backoff, registers the lifecycle listeners again, and tells its connectivity listeners both
 * transitions.
 */
public final class ReconnectingHypervisor implements Hypervisor {
  private static final Logger log = LoggerFactory.getLogger(ReconnectingHypervisor.class);
  static final Duration FIRST_RETRY = Duration.ofMillis(500);
  static final Duration LAST_RETRY = Duration.ofSeconds(30);
  static final Duration LIVENESS_CHECK = Duration.ofSeconds(2);

  /** Opens a new connection. */
  @FunctionalInterface
  public interface Opener {
    Hypervisor open() throws HypervisorException;
  }

  private final Opener opener;
  private final String name;
  private final List<Consumer<LifecycleEvent>> lifecycle = new CopyOnWriteArrayList<>();
  private final List<Consumer<Boolean>> connectivity = new CopyOnWriteArrayList<>();
  private final ThreadFailures failures = ThreadFailures.process();
  private final ScheduledExecutorService timer = failures.executor("wirt-libvirt-reconnect");
  private volatile Hypervisor current;
  private volatile boolean up = true;
  private Duration backoff = FIRST_RETRY;

  private ReconnectingHypervisor(Opener opener, String name, Hypervisor first) {
    this.opener = Objects.requireNonNull(opener, "opener");
    this.name = Objects.requireNonNull(name, "name");
    this.current = Objects.requireNonNull(first, "first");
    // Guarded: a periodic task that throws once is never run again.
    timer.scheduleWithFixedDelay(failures.guard("wirt-libvirt-reconnect", this::check),
        LIVENESS_CHECK.toMillis(),
        LIVENESS_CHECK.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Opens the first connection, which must succeed; later losses are repaired in the background.
   *
   * @param name what to call the hypervisor in messages, e.g. its URI
   */
  public static ReconnectingHypervisor open(String name, Opener opener) throws HypervisorException {
    return new ReconnectingHypervisor(opener, name, opener.open());
  }

  /** Registers a listener told {@code false} when libvirt is lost and {@code true} when it is back. */
  public void onConnectivity(Consumer<Boolean> listener) {
    connectivity.add(Objects.requireNonNull(listener, "listener"));
  }

  @Override
  public boolean isAlive() {
    return up;
  }

  private interface Call<T> {
    T on(Hypervisor h) throws HypervisorException;
  }

  private interface Action {
    void on(Hypervisor h) throws HypervisorException;
  }

  private <T> T call(Call<T> call) throws HypervisorException {
    Hypervisor h = current;
    if (!up) {
      throw new HypervisorException("libvirt at " + name + " is unreachable; wirtd is reconnecting",
          true, null);
    }
    try {
      return call.on(h);
    } catch (HypervisorException e) {
      if (e.unreachable()) {
        lost(h, e.getMessage());
      }
      throw e;
    }
  }

  private void act(Action action) throws HypervisorException {
    call(h -> {
      action.on(h);
      return null;
    });
  }

  private void check() {
    Hypervisor h = current;
    if (up && !h.isAlive()) {
      lost(h, "the connection is closed");
    }
  }

  private synchronized void lost(Hypervisor h, String why) {
    if (!up || current != h) {
      return;
    }
    up = false;
    log.warn("libvirt lost uri={} reason=\"{}\"; commands wait until it is back", name, why);
    connectivity.forEach(l -> l.accept(false));
    backoff = FIRST_RETRY;
    timer.schedule(this::reconnect, backoff.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void reconnect() {
    Hypervisor next;
    try {
      next = opener.open();
      for (Consumer<LifecycleEvent> listener : lifecycle) {
        next.onLifecycle(listener);
      }
    } catch (HypervisorException | RuntimeException | Error e) {
      if (e instanceof Error) {
        // Out of memory halts; any other Error counts as a failed attempt, retried like one.
        failures.caught("wirt-libvirt-reconnect", e);
      }
      backoff = backoff.multipliedBy(2).compareTo(LAST_RETRY) > 0 ? LAST_RETRY : backoff.multipliedBy(2);
      log.debug("reconnect failed uri={} retryMs={}", name, backoff.toMillis(), e);
      timer.schedule(this::reconnect, backoff.toMillis(), TimeUnit.MILLISECONDS);
      return;
    }
    Hypervisor old;
    synchronized (this) {
      old = current;
      current = next;
      up = true;
    }
    old.close();
    log.info("libvirt reconnected uri={}", name);
    connectivity.forEach(l -> l.accept(true));
  }

  @Override
  public List<ManagedDomain> managedDomains() throws HypervisorException {
    return call(Hypervisor::managedDomains);
  }

  @Override
  public Optional<ManagedDomain> managedDomain(UUID uuid) throws HypervisorException {
    return call(h -> h.managedDomain(uuid));
  }

  @Override
  public DomainStatus status(UUID uuid) throws HypervisorException {
    return call(h -> h.status(uuid));
  }

  @Override
  public Optional<DomainMetrics> metrics(UUID uuid) throws HypervisorException {
    return call(h -> h.metrics(uuid));
  }

  @Override
  public void act(DomainAction action, UUID uuid) throws HypervisorException {
    act(h -> h.act(action, uuid));
  }

  @Override
  public void awaitNoJob(UUID uuid, java.time.Duration max) throws HypervisorException {
    act(h -> h.awaitNoJob(uuid, max));
  }

  @Override
  public void setAutostart(UUID uuid, boolean enabled) throws HypervisorException {
    act(h -> h.setAutostart(uuid, enabled));
  }

  @Override
  public ManagedDomain define(String domainXml, Owner owner) throws HypervisorException {
    return call(h -> h.define(domainXml, owner));
  }

  @Override
  public ManagedDomain assign(String domainName, Owner owner) throws HypervisorException {
    return call(h -> h.assign(domainName, owner));
  }

  @Override
  public Optional<Owner> unassign(String domainName) throws HypervisorException {
    return call(h -> h.unassign(domainName));
  }

  @Override
  public Storage storage() throws HypervisorException {
    return call(Hypervisor::storage);
  }

  @Override
  public void onLifecycle(Consumer<LifecycleEvent> listener) throws HypervisorException {
    lifecycle.add(Objects.requireNonNull(listener, "listener"));
    act(h -> h.onLifecycle(listener));
  }

  @Override
  public void close() {
    timer.shutdownNow();
    current.close();
  }
}
