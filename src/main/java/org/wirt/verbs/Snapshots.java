package org.wirt.verbs;

import java.util.List;
import org.wirt.command.Refusal;
import org.wirt.command.Verb;
import org.wirt.hypervisor.DomainState;
import org.wirt.hypervisor.Hypervisor;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.ManagedDomain;

/**
 * What the snapshot verbs check alike (SPEC 5): a snapshot's name must exist, or for a new one
 * not; {@code snapshot} and {@code revert} need the VM shut off, so a snapshot holds the disk only
 * and a revert never boots the VM past the quota.
 */
final class Snapshots {
  private Snapshots() {}

  /** The VM's snapshots now. */
  static List<String> of(Hypervisor hypervisor, ManagedDomain d) throws HypervisorException {
    return hypervisor.storage().snapshots(d.uuid());
  }

  /** Refuses a snapshot name the VM does not have. */
  static void requireExisting(ManagedDomain d, List<String> existing, String name)
      throws Refusal {
    if (!existing.contains(name)) {
      throw new Refusal("VM '" + d.owner().vm() + "' has no snapshot '" + name + "'; snapshots: "
          + list(existing));
    }
  }

  /** Refuses the verb unless the table lets it act from the VM's state (shut off). */
  static void requireShutOff(Hypervisor hypervisor, Verb verb, ManagedDomain d)
      throws Refusal, HypervisorException {
    DomainState state = hypervisor.status(d.uuid()).state();
    if (Transitions.command(verb, state) != Transitions.Step.ACTS) {
      throw new Refusal("'" + verb.fileName() + "' needs VM '" + d.owner().vm()
          + "' shut off, and it is " + state.json() + "; write 'stop' first");
    }
  }

  static String list(List<String> existing) {
    return existing.isEmpty() ? "none" : String.join(", ", existing);
  }
}
