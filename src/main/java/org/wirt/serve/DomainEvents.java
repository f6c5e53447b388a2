package org.wirt.serve;

import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.LifecycleEvent;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.status.StatusKeeper;
import org.wirt.threads.ThreadFailures;
import org.wirt.tree.HomeTree;
import org.wirt.verbs.Verbs;

/**
 * Applies libvirt's lifecycle events (SPEC 6): a change of state no command caused reaches the
 * owner's {@code status.json} within a second, and a {@code stop} waiting for its guest looks at
 * once.
 */
public final class DomainEvents {
  private static final Logger log = LoggerFactory.getLogger(DomainEvents.class);

  private final Owners owners;
  private final Roster roster;
  private final Verbs verbs;
  private final StatusKeeper statuses;
  private final ThreadFailures failures;

  public DomainEvents(Owners owners, Roster roster, Verbs verbs, StatusKeeper statuses,
      ThreadFailures failures) {
    this.owners = Objects.requireNonNull(owners, "owners");
    this.roster = Objects.requireNonNull(roster, "roster");
    this.verbs = Objects.requireNonNull(verbs, "verbs");
    this.statuses = Objects.requireNonNull(statuses, "statuses");
    this.failures = Objects.requireNonNull(failures, "failures");
  }

  /** Applies one event; a failure is logged, and the next event or sweep catches up. */
  public void apply(LifecycleEvent event) {
    try {
      Optional<ManagedDomain> before = owners.byUuid(event.uuid());
      if (event.type().equals("defined") || event.type().equals("undefined")) {
        owners.refresh();
      }
      verbs.poke(event.uuid());
      Optional<ManagedDomain> domain = owners.byUuid(event.uuid()).or(() -> before);
      if (domain.isEmpty()) {
        return;
      }
      ManagedDomain d = domain.get();
      Optional<HomeTree> tree = roster.tree(d.owner().user())
          .filter(t -> t.identity().uid() == d.owner().uid());
      if (tree.isEmpty()) {
        return;
      }
      statuses.lifecycle(tree.get(), d, event);
    } catch (HypervisorException | RuntimeException e) {
      log.warn("lifecycle event not applied uuid={} type={}", event.uuid(), event.type(), e);
    } catch (Error e) {
      failures.caught("lifecycle event uuid=" + event.uuid() + " type=" + event.type(), e);
    }
  }
}
