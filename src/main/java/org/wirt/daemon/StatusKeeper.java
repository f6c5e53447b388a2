package org.wirt.daemon;

import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.hypervisor.DomainStatus;
import org.wirt.hypervisor.Hypervisor;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.LifecycleEvent;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.status.Notifier;
import org.wirt.status.Result;
import org.wirt.status.Outcome;
import org.wirt.status.Recorder;
import org.wirt.tree.HomeTree;

/** Keeps each owned VM's {@code status.json} current and records outcomes (SPEC 6). */
final class StatusKeeper {
  private static final Logger log = LoggerFactory.getLogger(StatusKeeper.class);

  private final Hypervisor hypervisor;
  private final Owners owners;
  private final Recorder recorder;
  private final Notifier notifier;

  StatusKeeper(Hypervisor hypervisor, Owners owners, Recorder recorder, Notifier notifier) {
    this.hypervisor = hypervisor;
    this.owners = owners;
    this.recorder = recorder;
    this.notifier = notifier;
  }

  /**
   * Records a command that ran and writes the VM's new state; a failure is notified. {@code
   * afterHistory} runs once the history line is written.
   */
  void finished(HomeTree tree, String vm, ManagedDomain domain, Outcome outcome,
      Runnable afterHistory) {
    recorder.record(tree, outcome, afterHistory);
    Optional<DomainStatus> status = refresh(tree, vm, domain);
    if (outcome.result() != Result.OK) {
      notifier.commandFailed(outcome, status);
    }
  }

  /**
   * Records and notifies a refused command; if the VM is the user's, its status shows it as last
   * command.
   */
  void rejected(HomeTree tree, String vm, Outcome outcome) {
    recorder.record(tree, outcome);
    Optional<DomainStatus> status = owners.ownedBy(tree.identity()).stream()
        .filter(d -> d.owner().vm().equals(vm))
        .findFirst()
        .flatMap(d -> refresh(tree, vm, d));
    notifier.commandFailed(outcome, status);
  }

  /** Writes every record of a command but its history line (the journal says that one exists). */
  void recordRest(HomeTree tree, Outcome outcome) {
    recorder.recordRest(tree, outcome);
  }

  /** Writes the VM's {@code status.json} if it changed; returns the status, if libvirt gave one. */
  Optional<DomainStatus> refresh(HomeTree tree, String vm, ManagedDomain domain) {
    DomainStatus status;
    try {
      status = hypervisor.status(domain.uuid());
    } catch (HypervisorException e) {
      log.warn("status unavailable user={} vm={} domain={}: {}", tree.identity().user(), vm,
          domain.name(), e.getMessage());
      return Optional.empty();
    }
    recorder.status(tree, vm, status, "connected");
    return Optional.of(status);
  }

  /** Tells the owner and root when a VM changed state on its own in a way that looks like trouble. */
  void lifecycle(HomeTree tree, ManagedDomain domain, LifecycleEvent event) {
    String vm = domain.owner().vm();
    recorder.vmLog(tree, vm, "libvirt: " + event.type() + " (" + event.detail() + ")");
    Optional<DomainStatus> status = refresh(tree, vm, domain);
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

  /** Refreshes every VM the user owns. */
  void refreshAll(HomeTree tree) {
    for (ManagedDomain d : owners.ownedBy(tree.identity())) {
      refresh(tree, d.owner().vm(), d);
    }
  }
}
