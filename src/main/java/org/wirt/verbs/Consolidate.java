package org.wirt.verbs;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.wirt.command.Command;
import org.wirt.command.Refusal;
import org.wirt.command.Verb;
import org.wirt.hypervisor.DomainState;
import org.wirt.hypervisor.Hypervisor;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.hypervisor.Storage;
import org.wirt.provision.ProvisionMetadata;
import org.wirt.provision.Provisioner;

/**
 * {@code consolidate} (SPEC 5): detaches a VM's disk from its golden image. The VM must be one
 * {@code create} made, still on its image, shut off (nothing may write the disk meanwhile), and
 * without snapshots (they would lose what they share with the image). Its progress shows in the
 * VM's {@code status.json}.
 */
final class Consolidate implements Action<Command.Consolidate> {
  private static final String VERB = Verb.CONSOLIDATE.fileName();

  private final Hypervisor hypervisor;
  private final Provisioner provisioner;
  private final Progress progress;

  Consolidate(Hypervisor hypervisor, Provisioner provisioner, Progress progress) {
    this.hypervisor = Objects.requireNonNull(hypervisor, "hypervisor");
    this.provisioner = Objects.requireNonNull(provisioner, "provisioner");
    this.progress = Objects.requireNonNull(progress, "progress");
  }

  @Override
  public Class<Command.Consolidate> type() {
    return Command.Consolidate.class;
  }

  @Override
  public Checked check(Target target, Command.Consolidate command)
      throws Refusal, HypervisorException {
    ManagedDomain d = target.domain();
    Storage storage = hypervisor.storage();
    String vm = d.owner().vm();
    Optional<Path> overlay = ProvisionMetadata.read(storage, d).flatMap(m -> m.volumes().stream()
        .filter(v -> v.getFileName().toString().endsWith(".qcow2")).findFirst());
    if (overlay.isEmpty()) {
      throw new Refusal("VM '" + vm + "' was not made by 'create', so wirt does not know its disk;"
          + " an admin can flatten it");
    }
    Optional<Storage.Volume> volume = storage.volume(overlay.get());
    if (volume.isPresent() && volume.get().backingFile().isEmpty()) {
      throw new Refusal("VM '" + vm + "' stands alone already: its disk has no backing file");
    }
    DomainState state = hypervisor.status(d.uuid()).state();
    if (Transitions.command(Verb.CONSOLIDATE, state) != Transitions.Step.ACTS) {
      throw new Refusal("'consolidate' needs VM '" + vm + "' shut off, and it is " + state.json()
          + "; write 'stop' first");
    }
    List<String> snapshots = storage.snapshots(d.uuid());
    if (!snapshots.isEmpty()) {
      throw new Refusal("VM '" + vm + "' has snapshots (" + String.join(", ", snapshots)
          + "), which would lose what they share with the image; delete them first with "
          + "'snapshot-delete'");
    }
    return Checked.on(d, self -> {
      progress.show(target.tree(), target.vm(), VERB, 0);
      return provisioner.flatten(d, overlay.get(),
              percent -> progress.show(target.tree(), target.vm(), VERB, percent))
          .whenComplete((message, error) -> progress.show(target.tree(), target.vm(), VERB, null));
    });
  }

  @Override
  public Reconciled reconcile(Interrupted interrupted, Command.Consolidate command)
      throws HypervisorException {
    return interrupted.notRepeated(hypervisor);
  }
}
