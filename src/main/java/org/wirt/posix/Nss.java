package org.wirt.posix;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Users and groups from NSS (files, LDAP, SSSD…). glibc's {@code getpw*}/{@code getgr*} return
 * static buffers, so every call is serialized on the one instance.
 */
public final class Nss {
  private static final Nss SYSTEM = new Nss();

  private Nss() {}

  /** The process's NSS (its native state is process-wide, hence one instance). */
  public static Nss system() {
    return SYSTEM;
  }

  /** The user named {@code name}, if NSS knows it. */
  public synchronized Optional<Passwd> user(String name) {
    return Optional.ofNullable(passwd(Libc.getpwnam(name)));
  }

  /** The user with {@code uid}, if NSS knows it. */
  public synchronized Optional<Passwd> user(int uid) {
    return Optional.ofNullable(passwd(Libc.getpwuid(uid)));
  }

  /** The group named {@code name} with its explicit members, if NSS knows it. */
  public synchronized Optional<GroupEntry> group(String name) {
    Pointer g = Libc.getgrnam(name);
    if (g == null) {
      return Optional.empty();
    }
    List<String> members = new ArrayList<>();
    Pointer mem = g.getPointer(24);
    if (mem != null) {
      for (int i = 0; ; i++) {
        Pointer m = mem.getPointer((long) i * Native.POINTER_SIZE);
        if (m == null) {
          break;
        }
        members.add(m.getString(0, "UTF-8"));
      }
    }
    return Optional.of(new GroupEntry(g.getPointer(0).getString(0, "UTF-8"), g.getInt(16), List.copyOf(members)));
  }

  /** Every user NSS enumerates ({@code getpwent}); may be incomplete for LDAP without enumeration. */
  public synchronized List<Passwd> allUsers() {
    List<Passwd> users = new ArrayList<>();
    Libc.setpwent();
    try {
      for (Pointer p = Libc.getpwent(); p != null; p = Libc.getpwent()) {
        users.add(passwd(p));
      }
    } finally {
      Libc.endpwent();
    }
    return List.copyOf(users);
  }

  /** The groups of {@code user} ({@code getgrouplist}), including {@code gid}. */
  public synchronized int[] groupList(String user, int gid) {
    int[] groups = new int[32];
    int[] n = {groups.length};
    while (Libc.getgrouplist(user, gid, groups, n) < 0) {
      groups = new int[Math.max(n[0], groups.length * 2)];
      n[0] = groups.length;
    }
    return Arrays.copyOf(groups, n[0]);
  }

  /** The effective uid of this process. */
  public int euid() {
    return Libc.geteuid();
  }

  /** The real uid of this process: who started it (0 under sudo, which sets it to root's). */
  public int realUid() {
    return Libc.getuid();
  }

  private static Passwd passwd(Pointer p) {
    if (p == null) {
      return null;
    }
    return new Passwd(p.getPointer(0).getString(0, "UTF-8"), p.getInt(16), p.getInt(20),
        p.getPointer(32).getString(0, "UTF-8"));
  }
}
