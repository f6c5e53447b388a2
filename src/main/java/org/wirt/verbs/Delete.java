package org.wirt.verbs;

import java.util.Objects;
import org.wirt.command.Command;
import org.wirt.command.Refusal;
import org.wirt.command.Verb;
import org.wirt.hypervisor.DomainState;
import org.wirt.hypervisor.Hypervisor;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.provision.Provisioner;

/**
 * {@code delete} (SPEC 5): undefines a shut-off VM and removes only the volumes wirt made for it,
 * never a golden image.
 */
final class Delete implements Action<Command.Delete> {
  private final Hypervisor hypervisor;
  private final Provisioner provisioner;
  private final Domains domains;

  Delete(Hypervisor hypervisor, Provisioner provisioner, Domains domains) {
    this.hypervisor = Objects.requireNonNull(hypervisor, "hypervisor");
    this.provisioner = Objects.requireNonNull(provisioner, "provisioner");
    this.domains = Objects.requireNonNull(domains, "domains");
  }

  @Override
  public Class<Command.Delete> type() {
    return Command.Delete.class;
  }

  @Override
  public Checked check(Target target, Command.Delete command) throws Refusal {
    ManagedDomain d = target.domain();
    return Checked.on(d, self -> {
      DomainState state = hypervisor.status(d.uuid()).state();
      if (Transitions.command(Verb.DELETE, state) != Transitions.Step.ACTS) {
        throw new HypervisorException("delete " + d.name() + ": it is " + state.json()
            + "; write 'stop' or 'destroy' first, then 'delete'");
      }
      String message = provisioner.delete(d);
      domains.changed();
      return Checked.done(message);
    });
  }

  @Override
  public Reconciled reconcile(Interrupted interrupted, Command.Delete command)
      throws HypervisorException {
    return interrupted.notRepeated(hypervisor);
  }
}
