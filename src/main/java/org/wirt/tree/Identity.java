package org.wirt.tree;

import java.util.Arrays;
import java.util.Objects;

/**
 * The Unix identity a user's files are accessed with: the kernel checks every file operation in
 * that user's home against these ids (SPEC 8).
 *
 * @param user the login name
 * @param uid the user id, used as fsuid
 * @param gid the primary group id, used as fsgid
 * @param groups the supplementary group ids (from {@code getgrouplist})
 */
public record Identity(String user, int uid, int gid, int[] groups) {

  public Identity {
    Objects.requireNonNull(user, "user");
    groups = groups.clone();
  }

  @Override
  public int[] groups() {
    return groups.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Identity other
        && user.equals(other.user)
        && uid == other.uid
        && gid == other.gid
        && Arrays.equals(groups, other.groups);
  }

  @Override
  public int hashCode() {
    return Objects.hash(user, uid, gid, Arrays.hashCode(groups));
  }

  @Override
  public String toString() {
    return user + "(" + uid + ":" + gid + ")";
  }
}
