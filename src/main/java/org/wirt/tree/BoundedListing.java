package org.wirt.tree;

import java.io.IOException;
import java.util.function.Predicate;
import org.wirt.posix.Fd;
import org.wirt.posix.Stat;

/**
 * Lists a directory a user controls in bounded time: only its first names are looked at,
 * however many it holds. Callers run with the user's filesystem identity.
 */
final class BoundedListing {
  private BoundedListing() {}

  /** Takes one entry of a listing. */
  @FunctionalInterface
  interface EntryVisitor {
    void visit(Entry entry) throws IOException;
  }

  /**
   * Hands every entry of {@code dir} whose name is {@code wanted}, as statx saw it, to {@code
   * visitor}, among the first {@code maxNames} names: every name counts, wanted or not, so the
   * time is bounded too. An entry gone between listing and statx is left out.
   *
   * @return whether there were names beyond {@code maxNames} that were not looked at
   */
  static boolean forEachEntry(Fd dir, int maxNames, Predicate<EntryName> wanted,
      EntryVisitor visitor) throws IOException {
    int[] seen = {0};
    dir.forEachName(raw -> {
      if (seen[0]++ >= maxNames) {
        return false;
      }
      EntryName name = new EntryName(raw);
      if (wanted.test(name)) {
        Stat st = TreeIo.statOrNull(dir, raw, dir.what() + "/" + name.display());
        if (st != null) {
          visitor.visit(TreeIo.entry(name, st));
        }
      }
      return true;
    });
    return seen[0] > maxNames;
  }
}
