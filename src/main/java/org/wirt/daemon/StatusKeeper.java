package org.wirt.daemon;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.command.Verb;
import org.wirt.hypervisor.DomainState;
import org.wirt.hypervisor.DomainStatus;
import org.wirt.hypervisor.Hypervisor;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.LifecycleEvent;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.provision.Provisioner;
import org.wirt.queue.Journal;
import org.wirt.status.Json;
import org.wirt.status.Notifier;
import org.wirt.status.Result;
import org.wirt.status.Outcome;
import org.wirt.status.Recorder;
import org.wirt.tree.HomeTree;

/**
 * Keeps each owned VM's {@code status.json} current and records outcomes (SPEC 6), closing each
 * command's journal entry once all its records are written. Records a full or read-only home kept
 * from being written wait here and are tried again at every sweep, so none is lost or written
 * twice.
 */
final class StatusKeeper {
  private static final Logger log = LoggerFactory.getLogger(StatusKeeper.class);

  private final Hypervisor hypervisor;
  private final Owners owners;
  private final Recorder recorder;
  private final Notifier notifier;
  private final Journal journal;
  private final Provisioner provisioner;
  private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
  private final Map<String, Object> refreshLocks = new ConcurrentHashMap<>();
  private final AtomicLong unjournaled = new AtomicLong(-1);

  /** A command whose records are not all written yet; a negative id has no journal entry. */
  private record Pending(long id, HomeTree tree, Outcome outcome, Recorder.Written written) {}

  StatusKeeper(Hypervisor hypervisor, Owners owners, Recorder recorder, Notifier notifier,
      Journal journal, Provisioner provisioner) {
    this.provisioner = provisioner;
    this.hypervisor = hypervisor;
    this.owners = owners;
    this.recorder = recorder;
    this.notifier = notifier;
    this.journal = journal;
  }

  /**
   * A claimed command has run: journals its outcome, records it, writes the VM's new state and
   * notifies a failure. {@code domain} is null when the VM is no longer the user's.
   */
  void finished(long id, HomeTree tree, String vm, ManagedDomain domain, Outcome outcome) {
    mark(() -> journal.done(id, Json.outcome(outcome)));
    recorded(id, tree, outcome, Recorder.Written.NONE);
    if (domain != null
        && !Verb.fromFileName(outcome.verb()).map(Verb::changesOnlyState).orElse(false)) {
      provisioner.changed(domain.uuid());
    }
    Optional<DomainStatus> status = domain == null ? Optional.empty() : refresh(tree, vm, domain);
    if (outcome.result() != Result.OK) {
      notifier.commandFailed(outcome, status);
    }
    provisioner.report(tree, owners.ownedBy(tree.identity()));
  }

  /**
   * Writes the records of a journaled outcome that {@code done} says are missing (after a crash),
   * and closes its journal entry once they are all written.
   */
  void recorded(long id, HomeTree tree, Outcome outcome, Recorder.Written done) {
    Recorder.Written written = done == Recorder.Written.NONE
        ? recorder.record(tree, outcome, () -> mark(() -> journal.logged(id)))
        : recorder.retry(tree, outcome, done, () -> mark(() -> journal.logged(id)));
    settle(new Pending(id, tree, outcome, written));
  }

  /**
   * Records and notifies a refused command; if the VM is the user's, its status shows it as last
   * command.
   */
  void rejected(HomeTree tree, String vm, Outcome outcome) {
    settle(new Pending(unjournaled.getAndDecrement(), tree, outcome, recorder.record(tree, outcome)));
    Optional<DomainStatus> status = owners.ownedBy(tree.identity()).stream()
        .filter(d -> d.owner().vm().equals(vm))
        .findFirst()
        .flatMap(d -> refresh(tree, vm, d));
    notifier.commandFailed(outcome, status);
  }

  /** Shows a long operation's progress in the VM's {@code status.json}; null percent ends it. */
  void operation(HomeTree tree, String vm, String verb, Integer percent) {
    recorder.operation(tree, vm, verb, percent);
  }

  /** Writes that libvirt is unreachable into the VM's {@code status.json}. */
  void unreachable(HomeTree tree, String vm) {
    recorder.unreachable(tree, vm);
  }

  /** A claimed command did not run (its file was withdrawn or replaced): closes its journal entry. */
  void withdrawn(long id) {
    mark(() -> journal.complete(id));
  }

  /** Tries again to write what a full or read-only home kept from being written. */
  void retryPending() {
    for (Pending p : pending.values()) {
      Recorder.Written written = recorder.retry(p.tree(), p.outcome(), p.written(),
          () -> mark(() -> journal.logged(p.id())));
      settle(new Pending(p.id(), p.tree(), p.outcome(), written));
    }
  }

  /** Returns how many commands still wait for some of their records. */
  int pendingCount() {
    return pending.size();
  }

  private void settle(Pending p) {
    if (!p.written().all()) {
      if (pending.put(p.id(), p) == null) {
        log.warn("records incomplete, retrying at every sweep user={} vm={} verb={} written={}",
            p.outcome().user(), p.outcome().vm(), p.outcome().verb(), p.written());
      }
      return;
    }
    if (pending.remove(p.id()) != null) {
      log.info("records completed user={} vm={} verb={}", p.outcome().user(), p.outcome().vm(),
          p.outcome().verb());
    }
    if (p.id() >= 0) {
      mark(() -> journal.complete(p.id()));
    }
  }

  /** A journal write that failed is logged: the command has run, its outcome is recorded anyway. */
  private static void mark(JournalWrite write) {
    try {
      write.run();
    } catch (IOException e) {
      log.error("journal write failed: {}", e.getMessage());
    }
  }

  @FunctionalInterface
  private interface JournalWrite {
    void run() throws IOException;
  }

  /** Writes the VM's {@code status.json} if it changed; returns the status, if libvirt gave one. */
  Optional<DomainStatus> refresh(HomeTree tree, String vm, ManagedDomain domain) {
    // A worker and the events thread may refresh the same VM at once; asking libvirt and
    // writing under one lock per VM keeps an older answer from overwriting a newer one.
    Object lock = refreshLocks.computeIfAbsent(tree.identity().user() + "/" + vm, k -> new Object());
    synchronized (lock) {
      DomainStatus status;
      try {
        status = hypervisor.status(domain.uuid());
      } catch (HypervisorException e) {
        log.warn("status unavailable user={} vm={} domain={}: {}", tree.identity().user(), vm,
            domain.name(), e.getMessage());
        return Optional.empty();
      }
      provisioner.observed(status);
      recorder.status(tree, vm, status, "connected");
      return Optional.of(status);
    }
  }

  /** Tells the owner and root when a VM changed state on its own in a way that looks like trouble. */
  void lifecycle(HomeTree tree, ManagedDomain domain, LifecycleEvent event) {
    String vm = domain.owner().vm();
    recorder.vmLog(tree, vm, "libvirt: " + event.type() + " (" + event.detail() + ")");
    if (event.type().equals("defined") || event.type().equals("undefined")) {
      // Redefined (a new vCPU count, memory or metadata) or gone: settings are asked for again.
      provisioner.changed(domain.uuid());
    }
    Optional<DomainStatus> status = refresh(tree, vm, domain);
    provisioner.report(tree, owners.ownedBy(tree.identity()));
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
  void refreshRunning(HomeTree tree) {
    for (ManagedDomain d : owners.ownedBy(tree.identity())) {
      if (provisioner.lastKnownState(d.uuid()).map(s -> s != DomainState.SHUTOFF).orElse(true)) {
        refresh(tree, d.owner().vm(), d);
      }
    }
  }

  /**
   * Refreshes every VM the user owns; with {@code recheckFacts}, also asks libvirt again for their
   * settings, disks and snapshots, which an admin may have changed without an event.
   */
  void refreshAll(HomeTree tree, boolean recheckFacts) {
    List<ManagedDomain> owned = owners.ownedBy(tree.identity());
    for (ManagedDomain d : owned) {
      refresh(tree, d.owner().vm(), d);
    }
    if (recheckFacts) {
      provisioner.forget(owned);
      provisioner.report(tree, owned);
    } else {
      provisioner.reportOnce(tree, () -> owned);
    }
  }
}
