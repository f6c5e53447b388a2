package org.wirt.status;

import java.util.List;
import java.util.Optional;
import org.wirt.hypervisor.DomainStatus;
import org.wirt.hypervisor.LifecycleEvent;

/** Several notifiers heard as one, in order. */
public final class Notifiers implements Notifier {
  private final List<Notifier> all;

  private Notifiers(List<Notifier> all) {
    this.all = List.copyOf(all);
  }

  public static Notifier of(Notifier... notifiers) {
    return new Notifiers(List.of(notifiers));
  }

  @Override
  public void commandFailed(Outcome outcome, Optional<DomainStatus> vm) {
    all.forEach(n -> n.commandFailed(outcome, vm));
  }

  @Override
  public void vmTrouble(String user, String vm, LifecycleEvent event, Optional<DomainStatus> status) {
    all.forEach(n -> n.vmTrouble(user, vm, event, status));
  }

  @Override
  public int backlog() {
    return all.stream().mapToInt(Notifier::backlog).sum();
  }
}
