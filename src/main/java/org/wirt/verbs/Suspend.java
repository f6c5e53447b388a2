package org.wirt.verbs;

import java.util.Objects;
import org.wirt.command.Command;
import org.wirt.command.Refusal;
import org.wirt.command.Verb;
import org.wirt.hypervisor.Hypervisor;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.ManagedDomain;

/** {@code suspend} (SPEC 5): pauses a running VM. */
final class Suspend implements Action<Command.Suspend> {
  private static final Power.Words WORDS = new Power.Words(
      "%s is already paused", "paused %s",
      ", not running; write 'start' to boot it", "paused it");

  private final Hypervisor hypervisor;

  Suspend(Hypervisor hypervisor) {
    this.hypervisor = Objects.requireNonNull(hypervisor, "hypervisor");
  }

  @Override
  public Class<Command.Suspend> type() {
    return Command.Suspend.class;
  }

  @Override
  public Checked check(Target target, Command.Suspend command) throws Refusal {
    ManagedDomain d = target.domain();
    return Checked.on(d, self -> Checked.done(
        Power.now(hypervisor, Verb.SUSPEND, d, WORDS, () -> hypervisor.suspend(d.uuid()))));
  }

  @Override
  public Reconciled reconcile(Interrupted interrupted, Command.Suspend command)
      throws HypervisorException {
    return interrupted.onDomain(hypervisor, (d, state) -> Power.again(Verb.SUSPEND, state, WORDS,
        () -> hypervisor.suspend(d.uuid())));
  }
}
