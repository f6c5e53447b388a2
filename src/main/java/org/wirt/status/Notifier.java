package org.wirt.status;

import java.util.Optional;
import org.wirt.hypervisor.DomainStatus;
import org.wirt.hypervisor.LifecycleEvent;

/**
 * Who hears about trouble (SPEC 6 item 6): a command that failed, was refused or was interrupted,
 * and a change of VM state that no command caused and that looks like trouble. Implementations
 * must return at once: they are called on the threads that serve commands.
 */
public interface Notifier {

  /** A command ended {@code failed}, {@code rejected} or {@code interrupted}. */
  void commandFailed(Outcome outcome, Optional<DomainStatus> vm);

  /** The VM of {@code user} changed state on its own in a way that looks like trouble. */
  void vmTrouble(String user, String vm, LifecycleEvent event, Optional<DomainStatus> status);

  /** Returns how many notices wait to be delivered (mail not yet sent); 0 for one that keeps none. */
  default int backlog() {
    return 0;
  }
}
