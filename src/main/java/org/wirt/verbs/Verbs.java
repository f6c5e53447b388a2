package org.wirt.verbs;

import java.time.Clock;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
import org.wirt.command.Command;
import org.wirt.command.Refusal;
import org.wirt.command.Verb;
import org.wirt.hypervisor.Hypervisor;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.provision.Provisioner;
import org.wirt.tree.HomeTree;

/**
 * Every verb of SPEC 5, each in a class of its own: this picks the one a command names (a switch
 * over its verb, which the compiler checks is exhaustive), to check the command before it is
 * claimed or to reconcile it after a crash.
 */
public final class Verbs {
  private final Domains domains;
  private final Start start;
  private final Stop stop;
  private final Destroy destroy;
  private final Reboot reboot;
  private final Reset reset;
  private final Suspend suspend;
  private final Resume resume;
  private final Autostart autostart;
  private final Status status;
  private final Create create;
  private final Delete delete;
  private final Configure configure;
  private final Snapshot snapshot;
  private final Revert revert;
  private final SnapshotDelete snapshotDelete;
  private final Consolidate consolidate;

  /**
   * @param namePattern how a new VM's domain is named (SPEC 3)
   * @param progress shows a long operation's progress in the VM's status
   * @param timer where a {@code stop} waits for its guest
   */
  public Verbs(Hypervisor hypervisor, Domains domains, QuotaChecks quotas,
      Provisioner provisioner, String namePattern, Progress progress,
      ScheduledExecutorService timer, Clock clock) {
    Objects.requireNonNull(hypervisor, "hypervisor");
    this.domains = Objects.requireNonNull(domains, "domains");
    this.start = new Start(hypervisor, quotas, domains);
    this.stop = new Stop(hypervisor, timer, clock);
    this.destroy = new Destroy(hypervisor);
    this.reboot = new Reboot(hypervisor);
    this.reset = new Reset(hypervisor);
    this.suspend = new Suspend(hypervisor);
    this.resume = new Resume(hypervisor);
    this.autostart = new Autostart(hypervisor);
    this.status = new Status(hypervisor);
    this.create = new Create(hypervisor, provisioner, quotas, domains, namePattern);
    this.delete = new Delete(hypervisor, provisioner, domains);
    this.configure = new Configure(hypervisor, quotas);
    this.snapshot = new Snapshot(hypervisor, quotas, domains);
    this.revert = new Revert(hypervisor);
    this.snapshotDelete = new SnapshotDelete(hypervisor);
    this.consolidate = new Consolidate(hypervisor, provisioner, progress);
  }

  private Action<?> action(Verb verb) {
    return switch (verb) {
      case START -> start;
      case STOP -> stop;
      case DESTROY -> destroy;
      case REBOOT -> reboot;
      case RESET -> reset;
      case SUSPEND -> suspend;
      case RESUME -> resume;
      case AUTOSTART -> autostart;
      case STATUS -> status;
      case CREATE -> create;
      case DELETE -> delete;
      case CONFIG -> configure;
      case SNAPSHOT -> snapshot;
      case REVERT -> revert;
      case SNAPSHOT_DELETE -> snapshotDelete;
      case CONSOLIDATE -> consolidate;
    };
  }

  /**
   * Checks a command for the user's VM {@code vm} before it is claimed: whether the VM is the
   * user's (SPEC 3), and whatever its verb checks. Nothing is changed yet.
   *
   * @return what running it does, and the domain its claim names
   * @throws Refusal naming what is wrong and what would be accepted (SPEC 7)
   */
  public Checked check(HomeTree tree, String vm, Command command)
      throws Refusal, HypervisorException {
    Target target = new Target(tree, vm, domains.find(tree.identity(), vm));
    return check(action(command.verb()), target, command);
  }

  /**
   * Reconciles a command a crash interrupted against libvirt's state (SPEC 4): repeats it where
   * that is safe (the verb is idempotent in effect), and says what was found and done.
   */
  public Reconciled reconcile(Command command, Interrupted interrupted)
      throws HypervisorException {
    return reconcile(action(command.verb()), interrupted, command);
  }

  /** A lifecycle event of this domain: a {@code stop} waiting for it looks at it now. */
  public void poke(UUID uuid) {
    stop.poke(uuid);
  }

  private static <C extends Command> Checked check(Action<C> action, Target target,
      Command command) throws Refusal, HypervisorException {
    return action.check(target, action.type().cast(command));
  }

  private static <C extends Command> Reconciled reconcile(Action<C> action,
      Interrupted interrupted, Command command) throws HypervisorException {
    return action.reconcile(interrupted, action.type().cast(command));
  }
}
