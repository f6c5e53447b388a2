package org.wirt.daemon;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.hypervisor.DomainStatus;
import org.wirt.hypervisor.Hypervisor;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.status.Outcome;
import org.wirt.status.Recorder;
import org.wirt.tree.HomeTree;

/** Keeps each owned VM's {@code status.json} current and records outcomes (SPEC 6). */
final class StatusKeeper {
  private static final Logger log = LoggerFactory.getLogger(StatusKeeper.class);

  private final Hypervisor hypervisor;
  private final Owners owners;
  private final Recorder recorder;

  StatusKeeper(Hypervisor hypervisor, Owners owners, Recorder recorder) {
    this.hypervisor = hypervisor;
    this.owners = owners;
    this.recorder = recorder;
  }

  /** Records a command that ran and writes the VM's new state. */
  void finished(HomeTree tree, String vm, ManagedDomain domain, Outcome outcome) {
    recorder.record(tree, outcome);
    refresh(tree, vm, domain);
  }

  /** Records a refused command; if the VM is the user's, its status shows it as last command. */
  void rejected(HomeTree tree, String vm, Outcome outcome) {
    recorder.record(tree, outcome);
    owners.ownedBy(tree.identity()).stream()
        .filter(d -> d.owner().vm().equals(vm))
        .findFirst()
        .ifPresent(d -> refresh(tree, vm, d));
  }

  /** Writes the VM's {@code status.json} if it changed. */
  void refresh(HomeTree tree, String vm, ManagedDomain domain) {
    DomainStatus status;
    try {
      status = hypervisor.status(domain.uuid());
    } catch (HypervisorException e) {
      log.warn("status unavailable user={} vm={} domain={}: {}", tree.identity().user(), vm,
          domain.name(), e.getMessage());
      return;
    }
    recorder.status(tree, vm, status, "connected");
  }

  /** Writes a line into the VM's log. */
  void vmLog(HomeTree tree, String vm, String text) {
    recorder.vmLog(tree, vm, text);
  }

  /** Refreshes every VM the user owns. */
  void refreshAll(HomeTree tree) {
    for (ManagedDomain d : owners.ownedBy(tree.identity())) {
      refresh(tree, d.owner().vm(), d);
    }
  }
}
