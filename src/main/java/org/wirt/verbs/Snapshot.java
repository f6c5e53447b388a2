package org.wirt.verbs;

import java.util.List;
import java.util.Objects;
import org.wirt.command.Command;
import org.wirt.command.Refusal;
import org.wirt.command.Verb;
import org.wirt.hypervisor.Hypervisor;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.provision.ProvisionMetadata;

/**
 * {@code snapshot} (SPEC 5): a snapshot of the shut-off VM's disk under a new name, within the
 * disk quota: each snapshot counts the virtual size of the VM's disk.
 */
final class Snapshot implements Action<Command.Snapshot> {
  private final Hypervisor hypervisor;
  private final QuotaChecks quotas;
  private final Domains domains;

  Snapshot(Hypervisor hypervisor, QuotaChecks quotas, Domains domains) {
    this.hypervisor = Objects.requireNonNull(hypervisor, "hypervisor");
    this.quotas = Objects.requireNonNull(quotas, "quotas");
    this.domains = Objects.requireNonNull(domains, "domains");
  }

  @Override
  public Class<Command.Snapshot> type() {
    return Command.Snapshot.class;
  }

  @Override
  public Checked check(Target target, Command.Snapshot c) throws Refusal, HypervisorException {
    ManagedDomain d = target.domain();
    String name = c.name();
    List<String> existing = Snapshots.of(hypervisor, d);
    if (existing.contains(name)) {
      throw new Refusal("VM '" + d.owner().vm() + "' has a snapshot '" + name + "' already; "
          + "choose another name (snapshots: " + Snapshots.list(existing) + ")");
    }
    int disk = ProvisionMetadata.read(hypervisor.storage(), d).map(ProvisionMetadata::diskGiB)
        .orElse(0);
    quotas.checkSnapshot(target.user(), domains.ownedBy(target.user()), disk);
    Snapshots.requireShutOff(hypervisor, Verb.SNAPSHOT, d);
    return Checked.on(d, self -> {
      hypervisor.storage().snapshot(d.uuid(), name);
      return Checked.done("took snapshot '" + name + "' of " + d.name());
    });
  }

  @Override
  public Reconciled reconcile(Interrupted interrupted, Command.Snapshot command)
      throws HypervisorException {
    return interrupted.notRepeated(hypervisor);
  }
}
