package org.wirt.serve;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.hypervisor.Hypervisor;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.hypervisor.Ownership;
import org.wirt.tree.Identity;
import org.wirt.verbs.Domains;

/**
 * Answers "which domain is this user's VM?" from the ownership index, and reads the index again
 * from libvirt when it does not know a VM (an admin may just have run {@code wirtctl assign}), at
 * most once per {@link #MIN_REFRESH} so a flood of commands for a VM that is not yours cannot make
 * wirtd list every domain again and again.
 */
public final class Owners implements Domains {
  private static final Logger log = LoggerFactory.getLogger(Owners.class);
  static final Duration MIN_REFRESH = Duration.ofMillis(500);

  private final Hypervisor hypervisor;
  private final Ownership index = new Ownership();
  private final Clock clock;
  private Instant lastRefresh = Instant.MIN;

  public Owners(Hypervisor hypervisor, Clock clock) {
    this.hypervisor = Objects.requireNonNull(hypervisor, "hypervisor");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Reads every domain's metadata again. */
  synchronized void refresh() throws HypervisorException {
    index.refresh(hypervisor);
    lastRefresh = clock.instant();
  }

  /**
   * Finds the user's VM and checks its metadata in libvirt once more, so that the decision rests
   * on what libvirt says now, not on the index.
   */
  @Override
  public Optional<ManagedDomain> find(Identity user, String vm) throws HypervisorException {
    Optional<ManagedDomain> found = index.find(user.user(), user.uid(), vm);
    if (found.isEmpty() && refreshAllowed()) {
      refresh();
      found = index.find(user.user(), user.uid(), vm);
    }
    if (found.isEmpty()) {
      return found;
    }
    Optional<ManagedDomain> now = hypervisor.managedDomain(found.get().uuid());
    if (now.isEmpty() || !now.get().owner().equals(found.get().owner())) {
      log.info("ownership changed user={} vm={} domain={}", user.user(), vm, found.get().name());
      index.remove(found.get().uuid());
      now.ifPresent(index::update);
      return Optional.empty();
    }
    return now;
  }

  public Optional<ManagedDomain> byUuid(UUID uuid) {
    return index.byUuid(uuid);
  }

  @Override
  public List<ManagedDomain> ownedBy(Identity user) {
    return index.ownedBy(user.user(), user.uid());
  }

  /** A domain was made or removed: the index learns it now, or at the next event or sweep. */
  @Override
  public void changed() {
    try {
      refresh();
    } catch (HypervisorException e) {
      log.warn("cannot read ownership again after provisioning", e);
    }
  }

  private synchronized boolean refreshAllowed() {
    return !clock.instant().isBefore(lastRefresh.plus(MIN_REFRESH));
  }
}
