package org.wirt.verbs;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.wirt.hypervisor.DomainState;
import org.wirt.hypervisor.Hypervisor;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.tree.Identity;

/**
 * A claimed command that a crash interrupted (SPEC 4), as the journal kept it.
 *
 * @param domainName the domain its claim names (for a create, the one it was to make); null if the
 *     journal line had none
 * @param domain the domain of the claim's UUID, if it is still the user's
 */
public record Interrupted(Identity user, String vm, String domainName,
    Optional<ManagedDomain> domain) {
  /** How long a reconcile waits for a job the killed wirtd began (a start under way). */
  static final Duration JOB_WAIT = Duration.ofSeconds(60);
  static final String STOPPED = "wirtd stopped while this command ran; ";

  public Interrupted {
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(vm, "vm");
    Objects.requireNonNull(domain, "domain");
  }

  /** What a verb does again, given the domain and its state; it says so after "found …". */
  @FunctionalInterface
  interface Again {
    String after(ManagedDomain domain, DomainState state) throws HypervisorException;
  }

  /**
   * Reconciles a verb on an existing domain: reads its state once libvirt has finished with it,
   * then lets {@code again} act on it.
   */
  Reconciled onDomain(Hypervisor hypervisor, Again again) throws HypervisorException {
    if (domain.isEmpty()) {
      return new Reconciled(STOPPED + "the domain is no longer " + user.user()
          + "'s, nothing was repeated", domain);
    }
    ManagedDomain d = domain.get();
    // A start the killed wirtd asked for may still be under way in libvirt, and may yet fail:
    // the state is read once libvirt has finished with the domain.
    hypervisor.awaitNoJob(d.uuid(), JOB_WAIT);
    DomainState state = hypervisor.status(d.uuid()).state();
    return new Reconciled(STOPPED + "found " + d.name() + " " + state.json()
        + again.after(d, state), domain);
  }

  /** Reconciles a verb that is never repeated (SPEC 4): says what was found. */
  Reconciled notRepeated(Hypervisor hypervisor) throws HypervisorException {
    return onDomain(hypervisor, (d, state) -> "; nothing to repeat");
  }
}
