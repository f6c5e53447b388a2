package org.wirt.users;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.posix.GroupEntry;
import org.wirt.posix.Nss;
import org.wirt.posix.Passwd;
import org.wirt.tree.Identity;

/**
 * The members of a Unix group from NSS: those listed in the group and those whose primary group it
 * is (SPEC 1), so LDAP and SSSD users count as well. Root is never served.
 */
public final class GroupMembers implements Members {
  private static final Logger log = LoggerFactory.getLogger(GroupMembers.class);

  private final Nss nss;
  private final String group;
  private boolean warnedMissing;

  public GroupMembers(Nss nss, String group) {
    this.nss = Objects.requireNonNull(nss, "nss");
    this.group = Objects.requireNonNull(group, "group");
  }

  @Override
  public synchronized List<Member> current() {
    Optional<GroupEntry> entry = nss.group(group);
    if (entry.isEmpty()) {
      if (!warnedMissing) {
        log.warn("group={} does not exist; no user is served until it does", group);
        warnedMissing = true;
      }
      return List.of();
    }
    warnedMissing = false;
    Map<String, Passwd> users = new TreeMap<>();
    for (String name : entry.get().members()) {
      nss.user(name).ifPresent(p -> users.put(p.name(), p));
    }
    int gid = entry.get().gid();
    for (Passwd p : nss.allUsers()) {
      if (p.gid() == gid) {
        users.put(p.name(), p);
      }
    }
    List<Member> members = new ArrayList<>();
    for (Passwd p : users.values()) {
      if (p.uid() == 0 || p.home() == null || !p.home().startsWith("/")) {
        continue;
      }
      members.add(new Member(new Identity(p.name(), p.uid(), p.gid(), nss.groupList(p.name(), p.gid())),
          Path.of(p.home())));
    }
    members.sort(Comparator.comparing(Member::name));
    return List.copyOf(members);
  }
}
