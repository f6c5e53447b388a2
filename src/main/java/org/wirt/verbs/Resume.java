package org.wirt.verbs;

import java.util.Objects;
import org.wirt.command.Command;
import org.wirt.command.Refusal;
import org.wirt.command.Verb;
import org.wirt.hypervisor.Hypervisor;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.ManagedDomain;

/** {@code resume} (SPEC 5): lets a paused VM continue. */
final class Resume implements Action<Command.Resume> {
  private static final Power.Words WORDS = new Power.Words(
      "%s is already running", "resumed %s",
      ", not paused; write 'start' to boot it", "resumed it");

  private final Hypervisor hypervisor;

  Resume(Hypervisor hypervisor) {
    this.hypervisor = Objects.requireNonNull(hypervisor, "hypervisor");
  }

  @Override
  public Class<Command.Resume> type() {
    return Command.Resume.class;
  }

  @Override
  public Checked check(Target target, Command.Resume command) throws Refusal {
    ManagedDomain d = target.domain();
    return Checked.on(d, self -> Checked.done(
        Power.now(hypervisor, Verb.RESUME, d, WORDS, () -> hypervisor.resume(d.uuid()))));
  }

  @Override
  public Reconciled reconcile(Interrupted interrupted, Command.Resume command)
      throws HypervisorException {
    return interrupted.onDomain(hypervisor, (d, state) -> Power.again(Verb.RESUME, state, WORDS,
        () -> hypervisor.resume(d.uuid())));
  }
}
