package org.wirt.verbs;

import java.util.Objects;
import org.wirt.command.Command;
import org.wirt.command.Refusal;
import org.wirt.command.Verb;
import org.wirt.hypervisor.Hypervisor;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.ManagedDomain;

/** {@code revert} (SPEC 5): brings the shut-off VM back to one of its snapshots. */
final class Revert implements Action<Command.Revert> {
  private final Hypervisor hypervisor;

  Revert(Hypervisor hypervisor) {
    this.hypervisor = Objects.requireNonNull(hypervisor, "hypervisor");
  }

  @Override
  public Class<Command.Revert> type() {
    return Command.Revert.class;
  }

  @Override
  public Checked check(Target target, Command.Revert c) throws Refusal, HypervisorException {
    ManagedDomain d = target.domain();
    String name = c.name();
    Snapshots.requireExisting(d, Snapshots.of(hypervisor, d), name);
    Snapshots.requireShutOff(hypervisor, Verb.REVERT, d);
    return Checked.on(d, self -> {
      hypervisor.storage().revert(d.uuid(), name);
      return Checked.done("reverted " + d.name() + " to snapshot '" + name + "'");
    });
  }

  @Override
  public Reconciled reconcile(Interrupted interrupted, Command.Revert command)
      throws HypervisorException {
    return interrupted.notRepeated(hypervisor);
  }
}
