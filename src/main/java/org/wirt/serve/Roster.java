package org.wirt.serve;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.wirt.tree.HomeTree;
import org.wirt.users.Member;

/**
 * The users served right now and their trees. Replaced as a whole when membership is read again,
 * so readers always see one consistent snapshot.
 */
public final class Roster {
  private final String treeDir;
  private final String legacyDir;
  private final Clock clock;
  private volatile Map<String, HomeTree> trees = Map.of();

  public Roster(String treeDir, Clock clock) {
    this(treeDir, null, clock);
  }

  /** As {@link #Roster(String, Clock)}, also serving each home's {@code legacyDir} unless null. */
  public Roster(String treeDir, String legacyDir, Clock clock) {
    this.treeDir = Objects.requireNonNull(treeDir, "treeDir");
    this.legacyDir = legacyDir;
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * Takes a new member list.
   *
   * @return the names of users who are no longer served
   */
  synchronized Set<String> update(List<Member> members) {
    Map<String, HomeTree> next = new LinkedHashMap<>();
    for (Member m : members) {
      HomeTree old = trees.get(m.name());
      boolean same = old != null && old.identity().equals(m.identity())
          && old.root().equals(m.home().resolve(treeDir));
      next.put(m.name(), same ? old : new HomeTree(m.identity(), m.home(), treeDir, clock, legacyDir));
    }
    Set<String> gone = new TreeSet<>(trees.keySet());
    gone.removeAll(next.keySet());
    trees = Map.copyOf(next);
    return gone;
  }

  public Optional<HomeTree> tree(String user) {
    return Optional.ofNullable(trees.get(user));
  }

  /** Returns every served user's tree, in name order. */
  public List<HomeTree> all() {
    return trees.values().stream()
        .sorted((a, b) -> a.identity().user().compareTo(b.identity().user()))
        .toList();
  }

  public int size() {
    return trees.size();
  }
}
