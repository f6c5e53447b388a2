package org.wirt.verbs;

import java.util.Objects;
import org.wirt.command.Command;
import org.wirt.command.Refusal;
import org.wirt.command.Verb;
import org.wirt.hypervisor.Hypervisor;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.ManagedDomain;

/**
 * {@code status} (SPEC 5): says the VM's state; its {@code status.json} is written as after every
 * command.
 */
final class Status implements Action<Command.Status> {
  private static final Power.Words WORDS = new Power.Words("%s is %s", "", "", "");

  private final Hypervisor hypervisor;

  Status(Hypervisor hypervisor) {
    this.hypervisor = Objects.requireNonNull(hypervisor, "hypervisor");
  }

  @Override
  public Class<Command.Status> type() {
    return Command.Status.class;
  }

  @Override
  public Checked check(Target target, Command.Status command) throws Refusal {
    ManagedDomain d = target.domain();
    return Checked.on(d, self -> Checked.done(
        Power.now(hypervisor, Verb.STATUS, d, WORDS, () -> {})));
  }

  @Override
  public Reconciled reconcile(Interrupted interrupted, Command.Status command)
      throws HypervisorException {
    return interrupted.notRepeated(hypervisor);
  }
}
