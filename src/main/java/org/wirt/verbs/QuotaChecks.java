package org.wirt.verbs;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;
import org.wirt.command.Refusal;
import org.wirt.config.QuotaConfig.Quota;
import org.wirt.config.QuotaConfig;
import org.wirt.hypervisor.DomainState;
import org.wirt.hypervisor.DomainStatus;
import org.wirt.hypervisor.Hypervisor;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.status.QuotaView;
import org.wirt.status.VmFacts;
import org.wirt.tree.Identity;

/**
 * Keeps users within their quotas (SPEC 9): every quota check of a verb, against usage measured
 * from what libvirt last said ({@link VmFacts}), and the per-user lock under which a start or a
 * create checks again where no other start or create of the user can interleave. The rules
 * themselves are {@link Quotas}.
 */
public final class QuotaChecks implements QuotaView.Source {
  private static final String ASK = "ask an admin for a larger quota (`wirt quota` shows yours)";

  private final Hypervisor hypervisor;
  private final VmFacts facts;
  private final GroupMembership groups;
  private volatile Quotas quotas;
  private final Map<String, Object> locks = new ConcurrentHashMap<>();

  /** Answers whether a user (by identity) is a member of a group (by name). */
  @FunctionalInterface
  public interface GroupMembership {
    boolean isMember(Identity user, String group);
  }

  /** Work done under the user's quota lock. */
  @FunctionalInterface
  interface Locked<T> {
    T run() throws HypervisorException;
  }

  public QuotaChecks(Hypervisor hypervisor, VmFacts facts, QuotaConfig quotas,
      GroupMembership groups) {
    this.hypervisor = Objects.requireNonNull(hypervisor, "hypervisor");
    this.facts = Objects.requireNonNull(facts, "facts");
    this.quotas = new Quotas(quotas);
    this.groups = Objects.requireNonNull(groups, "groups");
  }

  private volatile java.util.function.ToIntFunction<Identity> domainsHeld = user -> 0;

  /** Takes reloaded quotas. */
  public void reload(QuotaConfig next) {
    quotas = new Quotas(next);
  }

  /** Returns the limits that apply to the user and where they come from. */
  Quotas.Limits limits(Identity user) {
    return quotas.limits(user.user(), group -> groups.isMember(user, group));
  }

  @Override
  public QuotaView view(Identity user, List<ManagedDomain> owned) throws HypervisorException {
    Quotas.Limits l = limits(user);
    Quotas.Usage u = usage(owned);
    return new QuotaView(l.quota(), l.source(), u.vms(), u.vcpus(), u.memoryMiB(), u.diskGiB(),
        domainsHeld.applyAsInt(user));
  }

  /** How many host names ({@code command/domain/}) the user may hold: the quota's {@code domains}. */
  public int domainLimit(Identity user) {
    return limits(user).quota().domains();
  }

  /**
   * Tells how many host names a user holds, for {@code quota.json} (the host name registry, made
   * after this).
   */
  public void countDomainsWith(java.util.function.ToIntFunction<Identity> held) {
    domainsHeld = java.util.Objects.requireNonNull(held, "held");
  }

  /**
   * Measures what these VMs use: all count as VMs and disk, running ones for vCPUs and memory. The
   * states are those libvirt last reported (events and commands keep them current).
   */
  Quotas.Usage usage(List<ManagedDomain> owned) throws HypervisorException {
    int vms = 0;
    int vcpus = 0;
    long memory = 0;
    long disk = 0;
    for (ManagedDomain d : owned) {
      VmFacts.Facts f = facts.of(d);
      if (f.status().state() == DomainState.UNDEFINED) {
        continue;
      }
      vms++;
      if (f.status().state().holdsResources()) {
        vcpus += f.status().vcpus();
        memory += f.status().memoryMiB();
      }
      disk += f.diskGiB();
    }
    return new Quotas.Usage(vms, vcpus, memory, disk);
  }

  /** Refuses a new VM beyond the user's VMs or disk, or one that alone could never run. */
  void checkCreate(Identity user, List<ManagedDomain> owned, int vcpus, int memoryMiB,
      int diskGiB) throws Refusal, HypervisorException {
    Quota limit = limits(user).quota();
    refuseIf(overQuota(owned, u -> Quotas.checkCreate(limit, u, vcpus, memoryMiB, diskGiB)),
        "delete a VM or " + ASK);
  }

  /**
   * Runs a create while no other start or create of the user runs, failing it if, since it was
   * checked, another command of the user made a VM and the quota would be exceeded.
   */
  <T> T createWithinQuota(Identity user, int vcpus, int memoryMiB, int diskGiB, Locked<T> create)
      throws HypervisorException {
    synchronized (lock(user)) {
      // Where no other can interleave, counted as libvirt says now (the index may lag).
      List<ManagedDomain> owned = hypervisor.managedDomains().stream()
          .filter(d -> d.owner().uid() == user.uid() && d.owner().user().equals(user.user()))
          .toList();
      underLock(() -> checkCreate(user, owned, vcpus, memoryMiB, diskGiB));
      return create.run();
    }
  }

  /** Refuses a {@code start} that would exceed the user's running vCPUs or memory. */
  void checkStart(Identity user, ManagedDomain d, List<ManagedDomain> owned)
      throws Refusal, HypervisorException {
    DomainStatus status = hypervisor.status(d.uuid());
    if (status.state().holdsResources()) {
      return;
    }
    List<ManagedDomain> others = owned.stream().filter(o -> !o.uuid().equals(d.uuid())).toList();
    Quota limit = limits(user).quota();
    refuseIf(overQuota(others,
        u -> Quotas.checkStart(limit, u, status.vcpus(), status.memoryMiB())),
        "stop another VM first or " + ASK);
  }

  /**
   * Runs a {@code start} while no other start or create of the user runs, failing it if, since it
   * was checked, another VM of the user started and the quota would be exceeded.
   */
  <T> T startWithinQuota(Identity user, ManagedDomain d,
      Supplier<List<ManagedDomain>> owned, Locked<T> start) throws HypervisorException {
    synchronized (lock(user)) {
      // The daemon's index suffices here: a VM it does not know yet was just made, and is off.
      underLock(() -> checkStart(user, d, owned.get()));
      try {
        return start.run();
      } finally {
        // The next start of the user checks its quota against this VM's state now, not the state
        // its lifecycle event will bring a moment later.
        try {
          facts.observed(hypervisor.status(d.uuid()));
        } catch (HypervisorException e) {
          facts.changed(d.uuid());
        }
      }
    }
  }

  /** Refuses settings the user's quota would never let run (as a create would be). */
  void checkSettings(Identity user, int vcpus, int memoryMiB) throws Refusal {
    Quota q = limits(user).quota();
    refuseIf(Quotas.checkCreate(q, new Quotas.Usage(0, 0, 0, 0), vcpus, memoryMiB, 0),
        "ask for less or " + ASK);
  }

  /** Refuses a snapshot whose disk (it counts its VM's disk once more) exceeds the quota. */
  void checkSnapshot(Identity user, List<ManagedDomain> owned, int diskGiB)
      throws Refusal, HypervisorException {
    Quota q = limits(user).quota();
    Optional<String> over = overQuota(owned, u -> Quotas.checkDisk(q, u, diskGiB));
    if (over.isPresent()) {
      throw new Refusal("quota exceeded: " + over.get() + " (a snapshot counts its disk's "
          + "size); delete a snapshot or ask an admin for a larger quota");
    }
  }

  private static void refuseIf(Optional<String> over, String remedy) throws Refusal {
    if (over.isPresent()) {
      throw new Refusal("quota exceeded: " + over.get() + "; " + remedy);
    }
  }

  /** A check under the lock, after the claim: what it refuses is the command's failure. */
  private static void underLock(Check check) throws HypervisorException {
    try {
      check.run();
    } catch (Refusal r) {
      throw new HypervisorException(r.getMessage());
    }
  }

  @FunctionalInterface
  private interface Check {
    void run() throws Refusal, HypervisorException;
  }

  private Object lock(Identity user) {
    return locks.computeIfAbsent(user.uid() + ":" + user.user(), k -> new Object());
  }

  /**
   * Checks a quota against the usage wirt knows; a refusal is checked again against what libvirt
   * says now, so a state change not yet reported (a VM just stopped) never refuses a command. A
   * start wirt made is known at once ({@link #startWithinQuota}); one made outside wirt, as soon
   * as its lifecycle event arrives.
   */
  private Optional<String> overQuota(List<ManagedDomain> counted,
      Function<Quotas.Usage, Optional<String>> check) throws HypervisorException {
    Optional<String> over = check.apply(usage(counted));
    if (over.isEmpty()) {
      return over;
    }
    facts.forget(counted);
    return check.apply(usage(counted));
  }
}
