package org.wirt.hypervisor;

import java.util.Locale;

/** A domain's state as {@code status.json} spells it (SPEC 6). */
public enum DomainState {
  RUNNING, SHUTOFF, PAUSED, SHUTDOWN, CRASHED, PMSUSPENDED, BLOCKED, UNKNOWN, UNDEFINED;

  /** Returns the lower-case name used in JSON. */
  public String json() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Off: shut off, crashed, or no longer defined. */
  public boolean isOff() {
    return this == SHUTOFF || this == CRASHED || this == UNDEFINED;
  }

  /** Holding vCPUs and memory, as the quota counts them (SPEC 9): booted and not off. */
  public boolean holdsResources() {
    return this == RUNNING || this == PAUSED || this == BLOCKED || this == SHUTDOWN
        || this == PMSUSPENDED;
  }
}
