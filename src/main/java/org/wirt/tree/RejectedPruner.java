package org.wirt.tree;

import static org.wirt.posix.Fd.AT_REMOVEDIR;
import static org.wirt.posix.Fd.O_CLOEXEC;
import static org.wirt.posix.Fd.O_DIRECTORY;
import static org.wirt.posix.Fd.O_NOFOLLOW;
import static org.wirt.posix.Fd.O_RDONLY;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.wirt.posix.ErrnoException;
import org.wirt.posix.Fd;
import org.wirt.posix.Stat;

/**
 * Keeps a user's {@code rejected/} to its newest entries, in bounded memory and time: at most
 * {@code 4 × keep} names are read per call, and a refused directory is removed with its content
 * only down to {@link #DEPTH} levels and {@link #MAX_REMOVED} entries (what a refused {@code
 * command/vm/<x>/} can hold; anything deeper a user built by hand stays). Callers run with the
 * user's filesystem identity; no link is followed.
 */
final class RejectedPruner {
  static final int DEPTH = 3;
  static final int MAX_REMOVED = 10_000;
  private static final int DIR_FLAGS = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  private static final Comparator<Entry> NEWEST_FIRST = Comparator
      .comparingLong(Entry::mtimeNanos).reversed()
      .thenComparing(e -> e.name().raw(), Arrays::compareUnsigned);

  private RejectedPruner() {}

  /** Returns how many entries of {@code rejected} it removed. */
  static int prune(Fd rejected, int keep) throws IOException {
    int limit = Math.max(keep * 4, keep + 64);
    List<Entry> entries = new ArrayList<>();
    rejected.forEachName(raw -> {
      Stat st = TreeIo.statOrNull(rejected, raw, rejected.what());
      if (st != null) {
        entries.add(TreeIo.entry(new EntryName(raw), st));
      }
      return entries.size() < limit;
    });
    if (entries.size() <= keep) {
      return 0;
    }
    entries.sort(NEWEST_FIRST);
    int removed = 0;
    int[] budget = {MAX_REMOVED};
    for (Entry old : entries.subList(keep, entries.size())) {
      if (remove(rejected, old.name().raw(), old.type() == EntryType.DIRECTORY, 0, budget)) {
        removed++;
      }
    }
    return removed;
  }

  private static boolean remove(Fd dir, byte[] name, boolean directory, int depth, int[] budget)
      throws IOException {
    if (budget[0]-- <= 0) {
      return false;
    }
    String where = dir.what() + "/" + new EntryName(name).display();
    try {
      if (directory) {
        if (depth >= DEPTH) {
          return false;
        }
        try (Fd sub = dir.openAt(name, DIR_FLAGS, 0, where)) {
          List<byte[]> names = new ArrayList<>();
          sub.forEachName(n -> {
            names.add(n);
            return names.size() < budget[0];
          });
          for (byte[] n : names) {
            Stat st = TreeIo.statOrNull(sub, n, where);
            if (st != null) {
              remove(sub, n, st.isDirectory(), depth + 1, budget);
            }
          }
        }
        dir.unlinkAt(name, AT_REMOVEDIR, where);
      } else {
        dir.unlinkAt(name, 0, where);
      }
      return true;
    } catch (ErrnoException e) {
      // ENOENT: gone already; ENOTEMPTY: deeper than we go, or refilled meanwhile.
      if (e.errno() == ErrnoException.ENOENT) {
        return true;
      }
      if (e.errno() == ErrnoException.ENOTEMPTY) {
        return false;
      }
      throw e;
    }
  }
}
