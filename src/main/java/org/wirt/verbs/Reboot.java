package org.wirt.verbs;

import java.util.Objects;
import org.wirt.command.Command;
import org.wirt.command.Refusal;
import org.wirt.command.Verb;
import org.wirt.hypervisor.Hypervisor;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.ManagedDomain;

/** {@code reboot} (SPEC 5): asks a running guest to reboot (ACPI). */
final class Reboot implements Action<Command.Reboot> {
  private static final Power.Words WORDS = new Power.Words(
      "", "asked %s to reboot (ACPI)",
      ", not running; write 'start' to boot it", "");

  private final Hypervisor hypervisor;

  Reboot(Hypervisor hypervisor) {
    this.hypervisor = Objects.requireNonNull(hypervisor, "hypervisor");
  }

  @Override
  public Class<Command.Reboot> type() {
    return Command.Reboot.class;
  }

  @Override
  public Checked check(Target target, Command.Reboot command) throws Refusal {
    ManagedDomain d = target.domain();
    return Checked.on(d, self -> Checked.done(
        Power.now(hypervisor, Verb.REBOOT, d, WORDS, () -> hypervisor.reboot(d.uuid()))));
  }

  @Override
  public Reconciled reconcile(Interrupted interrupted, Command.Reboot command)
      throws HypervisorException {
    // Whether it happened cannot be told, and a second one would be visible.
    return interrupted.onDomain(hypervisor, (d, state) -> "; a reboot may or may not have happened"
        + " and is not repeated");
  }
}
