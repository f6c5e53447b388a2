package org.wirt.verbs;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.command.Command;
import org.wirt.command.Refusal;
import org.wirt.hypervisor.Hypervisor;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.hypervisor.Storage;

/**
 * {@code config} (SPEC 5): vCPUs and memory for the persistent definition (the next boot),
 * autostart at once. Settings the quota would never let run are refused; whether they can run
 * next to the user's other VMs is checked at {@code start}.
 */
final class Configure implements Action<Command.Config> {
  private static final Logger log = LoggerFactory.getLogger(Configure.class);

  private final Hypervisor hypervisor;
  private final QuotaChecks quotas;

  Configure(Hypervisor hypervisor, QuotaChecks quotas) {
    this.hypervisor = Objects.requireNonNull(hypervisor, "hypervisor");
    this.quotas = Objects.requireNonNull(quotas, "quotas");
  }

  @Override
  public Class<Command.Config> type() {
    return Command.Config.class;
  }

  @Override
  public Checked check(Target target, Command.Config c) throws Refusal, HypervisorException {
    ManagedDomain d = target.domain();
    Storage.NextBoot next = hypervisor.storage().nextBoot(d.uuid());
    quotas.checkSettings(target.user(), c.vcpus() != null ? c.vcpus() : next.vcpus(),
        c.memoryMiB() != null ? c.memoryMiB() : next.memoryMiB());
    return Checked.on(d, self -> Checked.done(configure(d, c)));
  }

  @Override
  public Reconciled reconcile(Interrupted interrupted, Command.Config command)
      throws HypervisorException {
    return interrupted.notRepeated(hypervisor);
  }

  private String configure(ManagedDomain d, Command.Config c) throws HypervisorException {
    Storage storage = hypervisor.storage();
    List<String> changes = new ArrayList<>();
    if (c.vcpus() != null || c.memoryMiB() != null) {
      Storage.NextBoot before = storage.nextBoot(d.uuid());
      Storage.NextBoot after = new Storage.NextBoot(
          c.vcpus() != null ? c.vcpus() : before.vcpus(),
          c.memoryMiB() != null ? c.memoryMiB() : before.memoryMiB());
      if (!after.equals(before)) {
        storage.setNextBoot(d.uuid(), after);
      }
      boolean running = hypervisor.status(d.uuid()).state().holdsResources();
      changes.add(after.vcpus() + " vCPUs and " + after.memoryMiB() + " MiB "
          + (running ? "from its next boot" : "when it boots"));
    }
    if (c.autostart() != null) {
      hypervisor.setAutostart(d.uuid(), c.autostart());
      changes.add("autostart " + (c.autostart() ? "on" : "off"));
    }
    log.info("configured domain={} changes={}", d.name(), changes);
    return d.name() + ": " + String.join(", ", changes);
  }
}
