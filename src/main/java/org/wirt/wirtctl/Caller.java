package org.wirt.wirtctl;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.wirt.posix.Nss;
import org.wirt.posix.Passwd;
import org.wirt.tree.Identity;

/**
 * Who runs wirtctl. Through sudo ({@code SUDO_UID} set and not 0), or as any user but root, the
 * caller is <em>restricted</em>: wirtctl takes no configuration from them and reads the files they
 * name with their own identity (SPEC 8). Run by root itself, it is root's.
 *
 * <p>sudo sets {@code SUDO_UID} and {@code SUDO_GID} to the invoking user's real ids itself; a
 * user cannot choose them. Only root could set them by hand, and then it gives up its own power.
 *
 * @param identity whose permissions the files the caller names are read with
 * @param restricted whether the caller is anyone but root
 */
public record Caller(Identity identity, boolean restricted) {

  public Caller {
    Objects.requireNonNull(identity, "identity");
  }

  /** Root itself: unrestricted, reading as root. */
  public static Caller root(Nss nss) {
    return new Caller(new Identity("root", 0, 0, nss.groupList("root", 0)), false);
  }

  /** The caller of this process, from its real uid and sudo's variables. */
  public static Caller fromProcess(Map<String, String> env, Nss nss) {
    Optional<Integer> sudoUid = id(env.get("SUDO_UID"));
    if (env.containsKey("SUDO_UID") && sudoUid.isEmpty()) {
      // Not what sudo writes: trust nobody's permissions rather than guess.
      return new Caller(new Identity("nobody", 65534, 65534, new int[] {65534}), true);
    }
    if (sudoUid.isPresent() && sudoUid.get() != 0) {
      int uid = sudoUid.get();
      Optional<Passwd> account = nss.user(uid);
      int gid = id(env.get("SUDO_GID")).orElse(account.map(Passwd::gid).orElse(uid));
      String name = account.map(Passwd::name).orElse(Integer.toString(uid));
      int[] groups = account.isPresent() ? nss.groupList(name, gid) : new int[] {gid};
      return new Caller(new Identity(name, uid, gid, groups), true);
    }
    int real = nss.realUid();
    if (real != 0) {
      Optional<Passwd> account = nss.user(real);
      int gid = account.map(Passwd::gid).orElse(real);
      String name = account.map(Passwd::name).orElse(Integer.toString(real));
      return new Caller(new Identity(name, real, gid,
          account.isPresent() ? nss.groupList(name, gid) : new int[] {gid}), true);
    }
    return root(nss);
  }

  private static Optional<Integer> id(String value) {
    if (value == null || !value.matches("[0-9]{1,10}")) {
      return Optional.empty();
    }
    long id = Long.parseLong(value);
    return id <= Integer.MAX_VALUE ? Optional.of((int) id) : Optional.empty();
  }
}
