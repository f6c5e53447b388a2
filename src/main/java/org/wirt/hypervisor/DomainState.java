package org.wirt.hypervisor;

import java.util.Locale;

/** A domain's state as {@code status.json} spells it (SPEC 6). */
public enum DomainState {
  RUNNING, SHUTOFF, PAUSED, SHUTDOWN, CRASHED, PMSUSPENDED, BLOCKED, UNKNOWN, UNDEFINED;

  /** Returns the lower-case name used in JSON. */
  public String json() {
    return name().toLowerCase(Locale.ROOT);
  }
}
