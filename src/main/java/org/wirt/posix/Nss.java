package org.wirt.posix;

import java.util.List;
import java.util.Optional;

/** SKELETON: implemented by the posix helper. */
public final class Nss {
  public static Nss system() { throw new UnsupportedOperationException(); }
  public Optional<Passwd> user(String name) { throw new UnsupportedOperationException(); }
  public Optional<Passwd> user(int uid) { throw new UnsupportedOperationException(); }
  public Optional<GroupEntry> group(String name) { throw new UnsupportedOperationException(); }
  public List<Passwd> allUsers() { throw new UnsupportedOperationException(); }
  public int[] groupList(String user, int gid) { throw new UnsupportedOperationException(); }
  public int euid() { throw new UnsupportedOperationException(); }
}
