package org.wirt.verbs;

import java.util.Objects;
import java.util.Optional;
import org.wirt.hypervisor.ManagedDomain;

/**
 * What reconciling an interrupted command found and did (its {@code interrupted} record's
 * message), and the domain whose status to show, if the VM is still the user's.
 */
public record Reconciled(String message, Optional<ManagedDomain> domain) {
  public Reconciled {
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(domain, "domain");
  }
}
