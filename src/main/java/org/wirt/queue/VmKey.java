package org.wirt.queue;

import java.util.Objects;

/** One user's VM: the unit of ordering (one command at a time, oldest first). */
public record VmKey(String user, String vm) {
  public VmKey {
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(vm, "vm");
  }

  @Override
  public String toString() {
    return user + "/" + vm;
  }
}
