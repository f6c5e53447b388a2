package org.wirt.users;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.wirt.tree.Identity;

/**
 * The users named in the configuration's {@code users} map, each with the home given there (tests
 * and the demo). Their identities come from a resolver: NSS for real users, or the current process
 * for the demo.
 */
public final class ListedMembers implements Members {
  private final List<Member> members;

  public ListedMembers(Map<String, Path> homes, Function<String, Identity> identities) {
    List<Member> list = new ArrayList<>();
    homes.forEach((user, home) -> list.add(new Member(identities.apply(user), home)));
    list.sort(Comparator.comparing(Member::name));
    this.members = List.copyOf(list);
  }

  @Override
  public List<Member> current() {
    return members;
  }
}
