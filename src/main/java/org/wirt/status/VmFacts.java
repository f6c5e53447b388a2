package org.wirt.status;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.wirt.hypervisor.DomainState;
import org.wirt.hypervisor.DomainStatus;
import org.wirt.hypervisor.Hypervisor;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.hypervisor.Storage;
import org.wirt.provision.ProvisionMetadata;

/**
 * What libvirt last said of each VM, as far as quotas and {@code settings.json} need it.
 *
 * <p>Asking libvirt for every VM of a user at every command cost ten calls per VM. The daemon
 * instead tells this cache what changed: a lifecycle event or a command's refreshed status
 * replaces a VM's state ({@link #observed}); a verb or event that may change a VM's definition,
 * disk or snapshots drops its facts ({@link #changed}); a thorough scan drops a user's
 * ({@link #forget}). What is not cached is asked for when first needed.
 */
public final class VmFacts {

  /** One VM: its state and settings now, its provision metadata, snapshots and next boot. */
  public record Facts(DomainStatus status, Optional<ProvisionMetadata> metadata,
      List<String> snapshots, Storage.NextBoot nextBoot) {

    /** Disk this VM counts against the quota: its size once, and once more per snapshot. */
    public long diskGiB() {
      int size = metadata.map(ProvisionMetadata::diskGiB).orElse(0);
      return (long) size * (1 + snapshots.size());
    }
  }

  private final Hypervisor hypervisor;
  private final Map<UUID, Facts> facts = new ConcurrentHashMap<>();

  public VmFacts(Hypervisor hypervisor) {
    this.hypervisor = Objects.requireNonNull(hypervisor, "hypervisor");
  }

  /** Returns the VM's facts, asking libvirt only for what is not known. */
  public Facts of(ManagedDomain d) throws HypervisorException {
    Facts known = facts.get(d.uuid());
    if (known != null) {
      return known;
    }
    try {
      // Fetched under the map's lock for this VM: a state observed meanwhile waits, then
      // replaces the fetched one, so an older answer never overwrites a newer one.
      Facts fetched = facts.computeIfAbsent(d.uuid(), uuid -> {
        try {
          return fetch(d);
        } catch (HypervisorException e) {
          throw new Unavailable(e);
        }
      });
      return fetched != null ? fetched : gone(d);
    } catch (Unavailable e) {
      throw e.cause;
    }
  }

  /**
   * Whether the VM may hold resources (run, be paused...) by what libvirt last said, without
   * asking it; true when nothing is known.
   */
  public boolean mayHoldResources(UUID uuid) {
    Facts f = facts.get(uuid);
    return f == null || f.status().state().holdsResources();
  }

  /** The VM's facts if known, without asking libvirt. */
  Optional<Facts> known(UUID uuid) {
    return Optional.ofNullable(facts.get(uuid));
  }

  private Facts fetch(ManagedDomain d) throws HypervisorException {
    DomainStatus status = hypervisor.status(d.uuid());
    if (status.state() == DomainState.UNDEFINED) {
      return null;
    }
    Storage storage = hypervisor.storage();
    return new Facts(status, ProvisionMetadata.read(storage, d), storage.snapshots(d.uuid()),
        storage.nextBoot(d.uuid()));
  }

  private static Facts gone(ManagedDomain d) {
    return new Facts(DomainStatus.undefined(d.uuid(), d.name()), Optional.empty(), List.of(),
        new Storage.NextBoot(0, 0));
  }

  /** Carries a libvirt failure out of the map's computation. */
  private static final class Unavailable extends RuntimeException {
    private final HypervisorException cause;

    Unavailable(HypervisorException cause) {
      super(cause.getMessage(), cause, false, false);
      this.cause = cause;
    }
  }

  /** Takes a status libvirt just gave (a state change); the rest of the VM's facts still hold. */
  public void observed(DomainStatus status) {
    if (status.state() == DomainState.UNDEFINED) {
      facts.remove(status.uuid());
    } else {
      facts.computeIfPresent(status.uuid(),
          (uuid, f) -> new Facts(status, f.metadata(), f.snapshots(), f.nextBoot()));
    }
  }

  /** The VM's definition, disk or snapshots may have changed: they are asked for again. */
  public void changed(UUID uuid) {
    facts.remove(uuid);
  }

  /** Drops what is known of these VMs (a thorough scan asks libvirt again). */
  public void forget(List<ManagedDomain> owned) {
    owned.forEach(d -> facts.remove(d.uuid()));
  }

  /** Drops everything (libvirt reconnected, configuration reloaded). */
  void clear() {
    facts.clear();
  }
}
