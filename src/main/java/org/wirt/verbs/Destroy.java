package org.wirt.verbs;

import java.util.Objects;
import org.wirt.command.Command;
import org.wirt.command.Refusal;
import org.wirt.command.Verb;
import org.wirt.hypervisor.Hypervisor;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.ManagedDomain;

/** {@code destroy} (SPEC 5): powers the VM off at once. */
final class Destroy implements Action<Command.Destroy> {
  private static final Power.Words WORDS = new Power.Words(
      "%s is already off", "powered off %s",
      "", "powered it off");

  private final Hypervisor hypervisor;

  Destroy(Hypervisor hypervisor) {
    this.hypervisor = Objects.requireNonNull(hypervisor, "hypervisor");
  }

  @Override
  public Class<Command.Destroy> type() {
    return Command.Destroy.class;
  }

  @Override
  public Checked check(Target target, Command.Destroy command) throws Refusal {
    ManagedDomain d = target.domain();
    return Checked.on(d, self -> Checked.done(
        Power.now(hypervisor, Verb.DESTROY, d, WORDS, () -> hypervisor.destroy(d.uuid()))));
  }

  @Override
  public Reconciled reconcile(Interrupted interrupted, Command.Destroy command)
      throws HypervisorException {
    return interrupted.onDomain(hypervisor, (d, state) -> Power.again(Verb.DESTROY, state, WORDS,
        () -> hypervisor.destroy(d.uuid())));
  }
}
