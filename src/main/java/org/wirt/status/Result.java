package org.wirt.status;

import java.util.Locale;

/** How a command ended (SPEC 6). */
public enum Result {
  OK, FAILED, REJECTED, INTERRUPTED;

  public String json() {
    return name().toLowerCase(Locale.ROOT);
  }
}
