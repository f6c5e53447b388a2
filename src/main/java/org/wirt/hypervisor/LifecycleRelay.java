package org.wirt.hypervisor;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;
import org.libvirt.event.DomainEvent;
import org.libvirt.event.LifecycleListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands libvirt's lifecycle events, as {@link LifecycleEvent}s, to wirt's listeners on libvirt's
 * event thread; a listener that throws is logged and the others still hear the event.
 */
final class LifecycleRelay implements LifecycleListener {
  private static final Logger log = LoggerFactory.getLogger(LifecycleRelay.class);

  private final KnownNames names;
  private final List<Consumer<LifecycleEvent>> listeners = new CopyOnWriteArrayList<>();

  LifecycleRelay(KnownNames names) {
    this.names = Objects.requireNonNull(names, "names");
  }

  void add(Consumer<LifecycleEvent> listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  @Override
  public int onLifecycleChange(Domain domain, DomainEvent event) {
    try {
      UUID uuid = names.remember(domain);
      LifecycleEvent lifecycle = new LifecycleEvent(
          uuid, domain.getName(), lower(event.getType()), lower(event.getDetail()));
      log.debug("lifecycle domain={} uuid={} type={} detail={}",
          lifecycle.domain(), uuid, lifecycle.type(), lifecycle.detail());
      for (Consumer<LifecycleEvent> listener : listeners) {
        try {
          listener.accept(lifecycle);
        } catch (RuntimeException e) {
          log.error("lifecycle listener failed domain={} type={}", lifecycle.domain(), lifecycle.type(), e);
        }
      }
    } catch (LibvirtException | RuntimeException e) {
      log.warn("cannot read lifecycle event event={}", event, e);
    } finally {
      LibvirtHandles.free(domain);
    }
    return 0;
  }

  private static String lower(Object value) {
    return value == null ? "unknown" : value.toString().toLowerCase(Locale.ROOT);
  }
}
