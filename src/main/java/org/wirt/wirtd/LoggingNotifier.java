package org.wirt.wirtd;

import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.hypervisor.DomainStatus;
import org.wirt.hypervisor.LifecycleEvent;
import org.wirt.status.Notifier;
import org.wirt.status.Outcome;

/** Reports trouble in wirtd's own log only; used where no mail is sent (the demo). */
final class LoggingNotifier implements Notifier {
  private static final Logger log = LoggerFactory.getLogger(LoggingNotifier.class);

  @Override
  public void commandFailed(Outcome o, Optional<DomainStatus> vm) {
    log.warn("command {} user={} vm={} verb={} message=\"{}\"", o.result().json(), o.user(), o.vm(),
        o.verb(), o.message());
  }

  @Override
  public void vmTrouble(String user, String vm, LifecycleEvent event, Optional<DomainStatus> status) {
    log.warn("vm trouble user={} vm={} event={} detail={}", user, vm, event.type(), event.detail());
  }
}
