package org.wirt.verbs;

import java.util.Objects;
import org.wirt.command.Command;
import org.wirt.command.Refusal;
import org.wirt.command.Verb;
import org.wirt.hypervisor.Hypervisor;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.ManagedDomain;

/** {@code autostart} (SPEC 5): boot the VM with the host, or not; in any state. */
final class Autostart implements Action<Command.Autostart> {
  private final Hypervisor hypervisor;

  Autostart(Hypervisor hypervisor) {
    this.hypervisor = Objects.requireNonNull(hypervisor, "hypervisor");
  }

  @Override
  public Class<Command.Autostart> type() {
    return Command.Autostart.class;
  }

  @Override
  public Checked check(Target target, Command.Autostart command) throws Refusal {
    ManagedDomain d = target.domain();
    return Checked.on(d, self -> Checked.done(Power.now(hypervisor, Verb.AUTOSTART, d,
        words(command), () -> hypervisor.setAutostart(d.uuid(), command.enabled()))));
  }

  @Override
  public Reconciled reconcile(Interrupted interrupted, Command.Autostart command)
      throws HypervisorException {
    return interrupted.onDomain(hypervisor, (d, state) -> Power.again(Verb.AUTOSTART, state,
        words(command), () -> hypervisor.setAutostart(d.uuid(), command.enabled())));
  }

  private static Power.Words words(Command.Autostart command) {
    return command.enabled()
        ? new Power.Words("", "enabled autostart of %s", "", "set autostart on again")
        : new Power.Words("", "disabled autostart of %s", "", "set autostart off again");
  }
}
