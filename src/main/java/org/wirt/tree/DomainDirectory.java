package org.wirt.tree;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.PriorityQueue;
import org.wirt.posix.ErrnoException;
import org.wirt.posix.Fd;
import org.wirt.posix.Stat;

/**
 * {@code command/domain/} of one tree (host names for VMs): listing the name directories and the
 * commands in one, reading a command and removing it once taken, refusing an entry. As for VMs,
 * every listing looks at a bounded number of names.
 */
final class DomainDirectory {
  static final List<String> DIR = List.of("command", "domain");
  private static final Comparator<Entry> OLDEST_FIRST = Comparator.comparingLong(Entry::mtimeNanos)
      .thenComparing(e -> e.name().raw(), Arrays::compareUnsigned);

  private final HomeTree tree;

  DomainDirectory(HomeTree tree) {
    this.tree = Objects.requireNonNull(tree, "tree");
  }

  /** The entries of {@code command/domain/} except names starting with '.', oldest first. */
  List<Entry> listNames() throws IOException {
    return tree.run(root -> {
      try (Fd dir = TreeIo.walk(root, DIR, tree.where(), false)) {
        List<Entry> entries = new ArrayList<>();
        BoundedListing.forEachEntry(dir, CommandDirectory.MAX_VM_DIRECTORIES,
            n -> !n.startsWith("."), entries::add);
        entries.sort(OLDEST_FIRST);
        return entries;
      }
    });
  }

  /** The {@code limit} oldest commands of {@code command/domain/<name>/}, writes in progress left out. */
  List<Entry> oldestCommands(String name, int limit) throws IOException {
    return onName(name, dir -> {
      PriorityQueue<Entry> kept = new PriorityQueue<>(OLDEST_FIRST.reversed());
      BoundedListing.forEachEntry(dir, CommandDirectory.MAX_COMMANDS_INSPECTED,
          n -> !TreeNames.ignored(n), e -> {
            kept.add(e);
            if (kept.size() > limit) {
              kept.poll();
            }
          });
      List<Entry> oldest = new ArrayList<>(kept);
      oldest.sort(OLDEST_FIRST);
      return oldest;
    });
  }

  ReadResult read(String name, EntryName entry, int maxBytes) throws IOException {
    byte[] raw = TreeNames.entry(entry);
    return onName(name, dir -> RegularFiles.read(dir, raw, where(name, entry), maxBytes,
        tree.identity()));
  }

  boolean remove(String name, EntryName entry, FileFacts expected) throws IOException {
    byte[] raw = TreeNames.entry(entry);
    return onName(name, dir -> {
      String where = where(name, entry);
      Stat now = TreeIo.statOrNull(dir, raw, where);
      if (now == null || now.dev() != expected.dev() || now.ino() != expected.ino()) {
        return false;
      }
      try {
        dir.unlinkAt(raw, 0, where);
        return true;
      } catch (ErrnoException e) {
        if (e.errno() == ErrnoException.ENOENT) {
          return false;
        }
        throw e;
      }
    });
  }

  private interface NameAction<T> {
    T run(Fd dir) throws IOException;
  }

  private <T> T onName(String name, NameAction<T> action) throws IOException {
    TreeNames.component(name, "host name");
    return tree.run(root -> {
      try (Fd dir = TreeIo.walk(root, List.of("command", "domain", name), tree.where(), false)) {
        return action.run(dir);
      }
    });
  }

  private String where(String name, EntryName entry) {
    return tree.where() + "/command/domain/" + name + "/" + entry.display();
  }
}
