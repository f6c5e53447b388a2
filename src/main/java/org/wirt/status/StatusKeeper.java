package org.wirt.status;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.command.Verb;
import org.wirt.config.LimitsConfig;
import org.wirt.hypervisor.DomainState;
import org.wirt.hypervisor.DomainStatus;
import org.wirt.hypervisor.Hypervisor;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.LifecycleEvent;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.metrics.WirtMetrics;
import org.wirt.tree.HomeTree;
import org.wirt.tree.Identity;

/**
 * Keeps each owned VM's {@code status.json}, {@code settings.json} and the user's {@code
 * quota.json} current, and records outcomes (SPEC 6), closing each command's journal entry once
 * all its records are written ({@link PendingRecords}). What libvirt last said of each VM is kept
 * in {@link VmFacts}, which commands and lifecycle events keep current.
 */
public final class StatusKeeper {
  private static final Logger log = LoggerFactory.getLogger(StatusKeeper.class);

  private final Hypervisor hypervisor;
  private final Function<Identity, List<ManagedDomain>> owned;
  private final Recorder recorder;
  private final Notifier notifier;
  private final JournalMarks journal;
  private final VmFacts facts;
  private final InfoReport info;
  private final PendingRecords records;
  private final WirtMetrics metrics;
  private final Map<String, Object> refreshLocks = new ConcurrentHashMap<>();

  /**
   * @param owned a user's VMs, as the daemon's index knows them
   * @param quotas the users' limits and usage, for {@code quota.json}
   * @param metrics counts every claimed command's outcome, by verb and result
   */
  public StatusKeeper(Hypervisor hypervisor, Function<Identity, List<ManagedDomain>> owned,
      Recorder recorder, Notifier notifier, JournalMarks journal, VmFacts facts,
      QuotaView.Source quotas, Clock clock, LimitsConfig limits, WirtMetrics metrics) {
    this.hypervisor = Objects.requireNonNull(hypervisor, "hypervisor");
    this.owned = Objects.requireNonNull(owned, "owned");
    this.recorder = Objects.requireNonNull(recorder, "recorder");
    this.notifier = Objects.requireNonNull(notifier, "notifier");
    this.journal = Objects.requireNonNull(journal, "journal");
    this.facts = Objects.requireNonNull(facts, "facts");
    this.info = new InfoReport(facts, quotas, clock);
    this.records = new PendingRecords(recorder, journal, clock, limits);
    this.metrics = Objects.requireNonNull(metrics, "metrics");
  }

  /**
   * A claimed command has run: journals its outcome, records it, writes the VM's new state and
   * notifies a failure. {@code domain} is null when the VM is no longer the user's.
   */
  public void finished(long id, HomeTree tree, String vm, ManagedDomain domain, Outcome outcome) {
    PendingRecords.mark(() -> journal.done(id, Json.outcome(outcome)));
    records.record(id, tree, outcome, Recorder.Written.NONE);
    metrics.commandRecorded(outcome.verb(), outcome.result().json());
    if (domain != null
        && !Verb.fromFileName(outcome.verb()).map(Verb::changesOnlyState).orElse(false)) {
      facts.changed(domain.uuid());
    }
    Optional<DomainStatus> status = domain == null ? Optional.empty() : refresh(tree, vm, domain);
    if (outcome.result() != Result.OK) {
      notifier.commandFailed(outcome, status);
    }
    info.report(tree, owned.apply(tree.identity()));
  }

  /**
   * Writes the records of a journaled outcome that {@code done} says are missing (after a crash),
   * and closes its journal entry once they are all written.
   */
  public void recorded(long id, HomeTree tree, Outcome outcome, Recorder.Written done) {
    records.record(id, tree, outcome, done);
  }

  /**
   * Records and notifies a refused command; if the VM is the user's, its status shows it as last
   * command.
   */
  public void rejected(HomeTree tree, String vm, Outcome outcome) {
    records.recordRefusal(tree, outcome);
    Optional<DomainStatus> status = owned.apply(tree.identity()).stream()
        .filter(d -> d.owner().vm().equals(vm))
        .findFirst()
        .flatMap(d -> refresh(tree, vm, d));
    notifier.commandFailed(outcome, status);
  }

  /**
   * Shows what the VM's {@code command/vm/<vm>/settings.json} asks for in its {@code
   * info/vm/<vm>/settings.json}, or with {@code report} null that there is no such file.
   */
  public void desired(HomeTree tree, String vm, DesiredReport report) {
    if (info.desired(tree.identity().user(), vm, report)) {
      info.report(tree, owned.apply(tree.identity()));
    }
  }

  /** Writes a line into the VM's log ({@code logs/vm/<vm>.log}). */
  public void vmLog(HomeTree tree, String vm, String text) {
    recorder.vmLog(tree, vm, text);
  }

  /** Shows a long operation's progress in the VM's {@code status.json}; null percent ends it. */
  public void operation(HomeTree tree, String vm, String verb, Integer percent) {
    recorder.operation(tree, vm, verb, percent);
  }

  /** Writes that libvirt is unreachable into the VM's {@code status.json}. */
  public void unreachable(HomeTree tree, String vm) {
    recorder.unreachable(tree, vm);
  }

  /** A claimed command did not run (its file was withdrawn or replaced): closes its journal entry. */
  public void withdrawn(long id) {
    PendingRecords.mark(() -> journal.complete(id));
  }

  /** Tries again to write what a full or read-only home kept from being written. */
  public void retryPending() {
    records.retry();
  }

  /**
   * Returns why the user's new commands are refused, if their waiting records are over budget: a
   * command that runs adds records wirtd would have to keep too.
   */
  public Optional<String> overBudget(HomeTree tree) {
    return records.overBudget(tree);
  }

  /** Writes the VM's {@code status.json} if it changed; returns the status, if libvirt gave one. */
  public Optional<DomainStatus> refresh(HomeTree tree, String vm, ManagedDomain domain) {
    // A worker and the events thread may refresh the same VM at once; asking libvirt and
    // writing under one lock per VM keeps an older answer from overwriting a newer one.
    Object lock = refreshLocks.computeIfAbsent(tree.identity().user() + "/" + vm, k -> new Object());
    synchronized (lock) {
      DomainStatus status;
      try {
        status = hypervisor.status(domain.uuid());
      } catch (HypervisorException e) {
        log.warn("status unavailable user={} vm={} domain={}", tree.identity().user(), vm,
            domain.name(), e);
        return Optional.empty();
      }
      facts.observed(status);
      recorder.status(tree, vm, status, "connected");
      return Optional.of(status);
    }
  }

  /** Tells the owner and root when a VM changed state on its own in a way that looks like trouble. */
  public void lifecycle(HomeTree tree, ManagedDomain domain, LifecycleEvent event) {
    String vm = domain.owner().vm();
    recorder.vmLog(tree, vm, "libvirt: " + event.type() + " (" + event.detail() + ")");
    if (event.type().equals("defined") || event.type().equals("undefined")) {
      // Redefined (a new vCPU count, memory or metadata) or gone: settings are asked for again.
      facts.changed(domain.uuid());
    }
    Optional<DomainStatus> status = refresh(tree, vm, domain);
    info.report(tree, owned.apply(tree.identity()));
    if (looksLikeTrouble(event)) {
      notifier.vmTrouble(tree.identity().user(), vm, event, status);
    }
  }

  /** A crash, or libvirt stopping the VM for a reason other than a request (host shutdown, failure). */
  static boolean looksLikeTrouble(LifecycleEvent event) {
    return event.type().equals("crashed")
        || (event.type().equals("stopped")
            && (event.detail().equals("crashed") || event.detail().equals("failed")));
  }

  /** Refreshes the user's VMs that libvirt last said were not shut off (addresses may change). */
  public void refreshRunning(HomeTree tree) {
    for (ManagedDomain d : owned.apply(tree.identity())) {
      if (facts.known(d.uuid()).map(f -> f.status().state() != DomainState.SHUTOFF)
          .orElse(true)) {
        refresh(tree, d.owner().vm(), d);
      }
    }
  }

  /**
   * Refreshes every VM the user owns; with {@code recheckFacts}, also asks libvirt again for their
   * settings, disks and snapshots, which an admin may have changed without an event.
   */
  public void refreshAll(HomeTree tree, boolean recheckFacts) {
    List<ManagedDomain> mine = owned.apply(tree.identity());
    for (ManagedDomain d : mine) {
      refresh(tree, d.owner().vm(), d);
    }
    if (recheckFacts) {
      facts.forget(mine);
      info.report(tree, mine);
    } else if (!info.reported(tree.identity().user())) {
      // Written once after a start or reload (the sweep); changes are reported where they happen.
      info.report(tree, mine);
    }
  }

  /** Writes the user's {@code quota.json} (and settings) now if they changed (a host name held or released). */
  public void reportInfo(HomeTree tree) {
    info.report(tree, owned.apply(tree.identity()));
  }

  /** Forgets what libvirt said of every VM (it reconnected: events may have been missed). */
  public void forgetFacts() {
    facts.clear();
  }

  /**
   * Forgets what libvirt said and what the users' info files show (quotas were reloaded): the next
   * sweep reads every VM from libvirt and writes every file again.
   */
  public void forgetReported() {
    info.clear();
    facts.clear();
  }
}
