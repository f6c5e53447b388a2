package org.wirt.testing;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.wirt.hypervisor.DomainStatus;
import org.wirt.hypervisor.LifecycleEvent;
import org.wirt.status.Notifier;
import org.wirt.status.Outcome;

/** Records what wirtd notified, as "user/vm verb result" or "user/vm trouble type/detail". */
final class RecordingNotifier implements Notifier {
  final List<String> lines = Collections.synchronizedList(new ArrayList<>());

  @Override
  public void commandFailed(Outcome o, Optional<DomainStatus> vm) {
    lines.add(o.user() + "/" + o.vm() + " " + o.verb() + " " + o.result().json());
  }

  @Override
  public void vmTrouble(String user, String vm, LifecycleEvent event, Optional<DomainStatus> status) {
    lines.add(user + "/" + vm + " trouble " + event.type() + "/" + event.detail());
  }
}
