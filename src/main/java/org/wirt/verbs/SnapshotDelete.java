package org.wirt.verbs;

import java.util.Objects;
import org.wirt.command.Command;
import org.wirt.command.Refusal;
import org.wirt.hypervisor.Hypervisor;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.ManagedDomain;

/** {@code snapshot-delete} (SPEC 5): removes one of the VM's snapshots, in any state. */
final class SnapshotDelete implements Action<Command.SnapshotDelete> {
  private final Hypervisor hypervisor;

  SnapshotDelete(Hypervisor hypervisor) {
    this.hypervisor = Objects.requireNonNull(hypervisor, "hypervisor");
  }

  @Override
  public Class<Command.SnapshotDelete> type() {
    return Command.SnapshotDelete.class;
  }

  @Override
  public Checked check(Target target, Command.SnapshotDelete c)
      throws Refusal, HypervisorException {
    ManagedDomain d = target.domain();
    String name = c.name();
    Snapshots.requireExisting(d, Snapshots.of(hypervisor, d), name);
    return Checked.on(d, self -> {
      hypervisor.storage().deleteSnapshot(d.uuid(), name);
      return Checked.done("deleted snapshot '" + name + "' of " + d.name());
    });
  }

  @Override
  public Reconciled reconcile(Interrupted interrupted, Command.SnapshotDelete command)
      throws HypervisorException {
    return interrupted.notRepeated(hypervisor);
  }
}
