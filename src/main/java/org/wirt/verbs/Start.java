package org.wirt.verbs;

import java.util.Objects;
import org.wirt.command.Command;
import org.wirt.command.Refusal;
import org.wirt.command.Verb;
import org.wirt.hypervisor.Hypervisor;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.tree.Identity;

/**
 * {@code start} (SPEC 5): boots the VM, within the user's quota of running vCPUs and memory (SPEC
 * 9), checked before the claim and again under the user's quota lock. This is where a {@code
 * start} file becomes a libvirt call.
 */
final class Start implements Action<Command.Start> {
  private static final Power.Words WORDS = new Power.Words(
      "%s is already running", "started %s", "", "started it");

  private final Hypervisor hypervisor;
  private final QuotaChecks quotas;
  private final Domains domains;

  Start(Hypervisor hypervisor, QuotaChecks quotas, Domains domains) {
    this.hypervisor = Objects.requireNonNull(hypervisor, "hypervisor");
    this.quotas = Objects.requireNonNull(quotas, "quotas");
    this.domains = Objects.requireNonNull(domains, "domains");
  }

  @Override
  public Class<Command.Start> type() {
    return Command.Start.class;
  }

  @Override
  public Checked check(Target target, Command.Start command)
      throws Refusal, HypervisorException {
    ManagedDomain d = target.domain(", or write 'create'");
    Identity user = target.user();
    quotas.checkStart(user, d, domains.ownedBy(user));
    return Checked.on(d, self -> Checked.done(quotas.startWithinQuota(user, d,
        () -> domains.ownedBy(user),
        () -> Power.now(hypervisor, Verb.START, d, WORDS, () -> hypervisor.start(d.uuid())))));
  }

  @Override
  public Reconciled reconcile(Interrupted interrupted, Command.Start command)
      throws HypervisorException {
    return interrupted.onDomain(hypervisor, (d, state) -> Power.again(Verb.START, state, WORDS,
        () -> hypervisor.start(d.uuid())));
  }
}
