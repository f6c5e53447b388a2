package org.wirt.desired;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.command.Command;
import org.wirt.command.Names;
import org.wirt.command.Verb;
import org.wirt.hypervisor.DomainState;
import org.wirt.hypervisor.DomainStatus;
import org.wirt.hypervisor.Hypervisor;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.hypervisor.Storage;
import org.wirt.queue.Scheduler;
import org.wirt.queue.VmKey;
import org.wirt.serve.InternalCommands;
import org.wirt.serve.Owners;
import org.wirt.serve.Roster;
import org.wirt.status.DesiredReport;
import org.wirt.status.Result;
import org.wirt.status.StatusKeeper;
import org.wirt.status.VmFacts;
import org.wirt.threads.ThreadFailures;
import org.wirt.tree.HomeTree;

/**
 * Reconciles each VM towards its {@code command/vm/<vm>/settings.json} (desired state): reads the
 * file as the user, decides the next command ({@link Decision}) and queues it for the VM's turn
 * ({@link InternalCommands}), where it is checked, claimed and recorded like a command file.
 *
 * <p>It looks when the file changes (inotify), when the VM changes state (lifecycle events), when
 * libvirt is back, at start and at every sweep, on one thread of its own. A VM has at most one
 * such command queued or running. The file is never removed or rewritten; what is wrong with it,
 * a refusal and a failure are each recorded once per content of the file ({@link MemoryStore}).
 */
public final class DesiredState implements InternalCommands {
  private static final Logger log = LoggerFactory.getLogger(DesiredState.class);
  static final String ORIGIN = HomeTree.SETTINGS_FILE;
  /** The verbs that may override a setting of the file ({@link Decision#overrides}). */
  private static final Set<Verb> OVERRIDING = java.util.EnumSet.of(Verb.START, Verb.STOP,
      Verb.DESTROY, Verb.SUSPEND, Verb.CONFIG, Verb.AUTOSTART);

  private final Roster roster;
  private final Owners owners;
  private final Hypervisor hypervisor;
  private final VmFacts facts;
  private final StatusKeeper statuses;
  private final Scheduler scheduler;
  private final MemoryStore memory;
  private final int maxBytes;
  private final ScheduledExecutorService executor;
  private final ThreadFailures failures;
  private final Set<VmKey> requested = ConcurrentHashMap.newKeySet();
  /** The command queued for a VM and not yet taken, and the content it is for. */
  private final Map<VmKey, Queued> queued = new ConcurrentHashMap<>();
  /** The command taken and running for a VM. */
  private final Map<VmKey, Queued> running = new ConcurrentHashMap<>();
  private volatile boolean swept;
  /** The VMs whose last reconciliation failed (logged once until one works). */
  private final Set<VmKey> unreconciled = ConcurrentHashMap.newKeySet();

  /** The VMs the last sweep of each user's tree found a settings.json in, by user. */
  private final Map<String, Set<String>> withFile = new ConcurrentHashMap<>();

  private record Queued(Internal job, String hash) {}

  /**
   * @param stateDir where overrides and refusals are kept across restarts
   * @param maxBytes the largest settings.json read ({@code maxCommandBytes})
   * @param executor the thread every reconciliation runs on
   */
  public DesiredState(Roster roster, Owners owners, Hypervisor hypervisor, VmFacts facts,
      StatusKeeper statuses, Scheduler scheduler, Path stateDir, int maxBytes,
      ScheduledExecutorService executor, ThreadFailures failures) {
    this.roster = Objects.requireNonNull(roster, "roster");
    this.owners = Objects.requireNonNull(owners, "owners");
    this.hypervisor = Objects.requireNonNull(hypervisor, "hypervisor");
    this.facts = Objects.requireNonNull(facts, "facts");
    this.statuses = Objects.requireNonNull(statuses, "statuses");
    this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    this.memory = new MemoryStore(stateDir);
    this.maxBytes = maxBytes;
    this.executor = Objects.requireNonNull(executor, "executor");
    this.failures = Objects.requireNonNull(failures, "failures");
  }

  /**
   * Reconciles every VM now (wirtd started). From then on the periodic sweep says which VMs have
   * a file ({@link #seen}), so that a pass over 10,000 users does not open 50,000 VM directories
   * a second time to find the few files there are.
   */
  public void start() {
    executor.execute(this::sweep);
  }

  /**
   * The sweep looked into the user's VM directories: those holding a settings.json, and those
   * that held one at the last look (a file removed ends its effect), are reconciled soon.
   */
  public void seen(HomeTree tree, Set<String> vms) {
    String user = tree.identity().user();
    Set<String> before = withFile.put(user, Set.copyOf(vms));
    Set<String> look = new java.util.HashSet<>(vms);
    if (before != null) {
      look.addAll(before);
    }
    look.forEach(vm -> request(new VmKey(user, vm)));
  }

  /** Reconciles every VM soon (libvirt is back: the VMs may have changed meanwhile). */
  public void sweepSoon() {
    executor.execute(this::sweep);
  }

  /** Reconciles every VM now and waits for it (tests; the periodic sweep does it). */
  public void sweepNow() throws InterruptedException {
    CompletableFuture<Void> done = new CompletableFuture<>();
    executor.execute(() -> {
      sweep();
      done.complete(null);
    });
    try {
      done.get(5, TimeUnit.MINUTES);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("settings sweep did not finish", e);
    }
  }

  /** The VM's settings.json was written (inotify): it is read again soon. */
  public void fileChanged(VmKey key) {
    request(key);
  }

  /** A lifecycle event of this domain: its owner's VM is looked at again. */
  public void domainEvent(UUID uuid) {
    owners.byUuid(uuid).ifPresent(d -> request(new VmKey(d.owner().user(), d.owner().vm())));
  }

  /** Stops the thread. */
  public void stop() {
    executor.shutdownNow();
  }

  @Override
  public Optional<Internal> take(VmKey key) {
    Queued q = queued.get(key);
    if (q == null) {
      return Optional.empty();
    }
    // Running before no longer queued: a reconciliation in between sees the VM busy either way,
    // and queues no second command.
    running.put(key, q);
    queued.remove(key, q);
    return Optional.of(q.job());
  }

  @Override
  public void oneOff(HomeTree tree, String vm, Command command) {
    if (!OVERRIDING.contains(command.verb())) {
      // Most commands cannot override a setting: their turn costs no read of the file.
      return;
    }
    Optional<SettingsFile> read = SettingsFile.read(tree, vm, maxBytes);
    if (read.isEmpty() || read.get().settings() == null) {
      return;
    }
    Set<String> overridden = Decision.overrides(read.get().settings(), command);
    if (overridden.isEmpty()) {
      return;
    }
    String verb = command.verb().fileName();
    memory.update(tree.identity().uid(), vm, read.get().hash(), m -> {
      Memory next = m;
      for (String setting : overridden) {
        next = next.override(setting, verb);
      }
      return next;
    });
    log.info("one-off overrides settings.json user={} vm={} verb={} settings={}",
        tree.identity().user(), vm, verb, overridden);
    request(new VmKey(tree.identity().user(), vm));
  }

  @Override
  public void ended(VmKey key, Internal job, Result result, String message) {
    Queued q = running.remove(key);
    if (q == null) {
      return;
    }
    String verb = job.command().verb().fileName();
    if (result == Result.REJECTED || result == Result.FAILED) {
      // Not tried again until the file changes: the record was written once, here.
      String why = (result == Result.REJECTED ? "refused: " : "failed: ") + message;
      roster.tree(key.user()).ifPresent(t ->
          memory.update(t.identity().uid(), key.vm(), q.hash(), m -> m.refuse(verb, why)));
    }
    if (result != Result.INTERRUPTED) {
      // The next step (a start after a config), or the report of what still differs.
      request(key);
    }
  }

  private void request(VmKey key) {
    if (requested.add(key)) {
      try {
        executor.execute(() -> {
          requested.remove(key);
          roster.tree(key.user()).ifPresent(t -> reconcile(t, key.vm()));
        });
      } catch (java.util.concurrent.RejectedExecutionException e) {
        requested.remove(key);
      }
    }
  }

  private void sweep() {
    try {
      int vms = 0;
      for (HomeTree tree : roster.all()) {
        for (ManagedDomain d : owners.ownedBy(tree.identity())) {
          if (Names.isVm(d.owner().vm())) {
            reconcile(tree, d);
            vms++;
          }
        }
      }
      if (!swept) {
        swept = true;
        log.info("settings sweep done first=true vms={}", vms);
      } else {
        log.debug("settings sweep done vms={}", vms);
      }
    } catch (Throwable e) {
      // Caught here: a periodic task that throws is never run again.
      failures.caught("wirt-settings sweep", e);
    }
  }

  private void reconcile(HomeTree tree, String vm) {
    owners.ownedBy(tree.identity()).stream()
        .filter(d -> d.owner().vm().equals(vm))
        .findFirst()
        .ifPresent(d -> reconcile(tree, d));
  }

  private void reconcile(HomeTree tree, ManagedDomain d) {
    String user = tree.identity().user();
    int uid = tree.identity().uid();
    String vm = d.owner().vm();
    VmKey key = new VmKey(user, vm);
    try {
      Optional<SettingsFile> found = SettingsFile.read(tree, vm, maxBytes);
      if (found.isEmpty()) {
        memory.forget(uid, vm);
        statuses.desired(tree, vm, null);
        return;
      }
      SettingsFile read = found.get();
      if (read.settings() == null) {
        Memory m = memory.of(uid, vm, read.hash());
        if (!m.problemReported()) {
          memory.update(uid, vm, read.hash(), Memory::reported);
          statuses.vmLog(tree, vm, read.problem());
          log.info("settings.json not applied user={} vm={} problem=\"{}\"", user, vm,
              read.problem());
        }
        statuses.desired(tree, vm, new DesiredReport(Map.of(), read.problem(), List.of()));
        return;
      }
      Effective now = effective(d);
      unreconciled.remove(key);
      if (now == null) {
        return;
      }
      Decision.Plan plan = Decision.plan(read.settings(), now,
          memory.of(uid, vm, read.hash()));
      log.debug("settings.json looked at user={} vm={} next={}", user, vm,
          plan.next().map(step -> step.command().verb().fileName()).orElse("none"));
      boolean busy = queued.containsKey(key) || running.containsKey(key);
      statuses.desired(tree, vm, new DesiredReport(read.settings().asMap(), null,
          plan.pending()));
      if (plan.next().isPresent() && !busy) {
        Decision.Step step = plan.next().get();
        queued.put(key, new Queued(new Internal(step.command(), step.content(), ORIGIN),
            read.hash()));
        log.info("settings.json queues user={} vm={} verb={}", user, vm,
            step.command().verb().fileName());
        scheduler.signal(key);
      }
    } catch (HypervisorException | RuntimeException e) {
      // The next event or sweep looks again; while libvirt is away that is every sweep, so it is
      // said once until it works again.
      if (unreconciled.add(key)) {
        log.warn("cannot reconcile settings.json user={} vm={}", user, vm, e);
      } else {
        log.debug("cannot reconcile settings.json user={} vm={}", user, vm, e);
      }
    }
  }

  /** The VM as libvirt says it is now, or null if it is gone. */
  private Effective effective(ManagedDomain d) throws HypervisorException {
    DomainStatus status = hypervisor.status(d.uuid());
    if (status.state() == DomainState.UNDEFINED) {
      return null;
    }
    Storage.NextBoot next = facts.of(d).nextBoot();
    return new Effective(status.state(), status.vcpus(), status.memoryMiB(), status.autostart(),
        next.vcpus(), next.memoryMiB());
  }
}
