package org.wirt.verbs;

import java.util.Objects;
import org.wirt.command.Command;
import org.wirt.command.Refusal;
import org.wirt.command.Verb;
import org.wirt.hypervisor.Hypervisor;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.ManagedDomain;

/** {@code reset} (SPEC 5): resets a running VM at once, as its reset button would. */
final class Reset implements Action<Command.Reset> {
  private static final Power.Words WORDS = new Power.Words(
      "", "reset %s",
      ", not running; write 'start' to boot it", "");

  private final Hypervisor hypervisor;

  Reset(Hypervisor hypervisor) {
    this.hypervisor = Objects.requireNonNull(hypervisor, "hypervisor");
  }

  @Override
  public Class<Command.Reset> type() {
    return Command.Reset.class;
  }

  @Override
  public Checked check(Target target, Command.Reset command) throws Refusal {
    ManagedDomain d = target.domain();
    return Checked.on(d, self -> Checked.done(
        Power.now(hypervisor, Verb.RESET, d, WORDS, () -> hypervisor.reset(d.uuid()))));
  }

  @Override
  public Reconciled reconcile(Interrupted interrupted, Command.Reset command)
      throws HypervisorException {
    // Whether it happened cannot be told, and a second one would be visible.
    return interrupted.onDomain(hypervisor, (d, state) -> "; a reset may or may not have happened"
        + " and is not repeated");
  }
}
