package org.wirt.tree;

import java.io.IOException;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.posix.ErrnoException;
import org.wirt.posix.Fd;

/**
 * A tree's {@code rejected/}: refused entries are moved there under fresh names, never replacing
 * anything, and it is kept to its newest entries ({@link RejectedPruner}).
 */
final class RejectedEntries {
  private static final Logger LOG = LoggerFactory.getLogger(RejectedEntries.class);
  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmssSSS").withZone(ZoneOffset.UTC);
  private static final int MAX_TRIES = 1000;

  private final HomeTree tree;

  RejectedEntries(HomeTree tree) {
    this.tree = Objects.requireNonNull(tree, "tree");
  }

  String reject(String vm, EntryName name) throws IOException {
    if (vm != null) {
      TreeNames.component(vm, "VM name");
    }
    List<String> source = vm == null ? List.of("command", "vm") : List.of("command", "vm", vm);
    return rejectFrom(source, vm == null ? "" : TreeNames.escape(TreeNames.bytes(vm)) + ".", name);
  }

  /**
   * Moves the entry {@code name} of the directory {@code source} (components below the tree root)
   * into {@code rejected/} as {@code <prefix><escaped name>.<stamp>[.<n>]}.
   */
  String rejectFrom(List<String> source, String prefix, EntryName name) throws IOException {
    source.forEach(part -> TreeNames.component(part, "directory name"));
    byte[] raw = TreeNames.entry(name);
    String rootWhere = tree.where();
    String where = rootWhere + "/" + String.join("/", source) + "/" + name.display();
    String base = prefix + TreeNames.escape(raw) + "." + STAMP.format(tree.clock().instant());
    return tree.run(root -> {
      try (Fd from = TreeIo.walk(root, source, rootWhere, false)) {
        return moveInto(root, from, raw, base, where);
      }
    });
  }

  /**
   * Moves the entry {@code raw} of {@code from} into {@code rejected/} of the open tree root under
   * {@code base} or {@code base.<n>}, never replacing anything; the caller runs as the user.
   *
   * @return the new name in {@code rejected/}
   */
  String moveInto(Fd root, Fd from, byte[] raw, String base, String where) throws IOException {
    String rootWhere = tree.where();
    try (Fd rejected = tree.ensure(root, rootWhere, "rejected")) {
      for (int n = 0; n < MAX_TRIES; n++) {
        String candidate = n == 0 ? base : base + "." + n;
        if (moveNoReplace(from, raw, rejected, candidate, where)) {
          // debug: a flood of refusals must not flood the journal; Rejector logs what it records.
          LOG.debug("rejected entry user={} entry={} to={}", tree.identity().user(), where, candidate);
          return candidate;
        }
      }
      throw new IOException("cannot find a free name in " + rootWhere + "/rejected for " + where);
    }
  }

  /** The time stamp of a name in {@code rejected/}, now. */
  String stamp() {
    return STAMP.format(tree.clock().instant());
  }

  int prune(int keep) throws IOException {
    return tree.run(root -> {
      try (Fd rejected = tree.ensure(root, tree.where(), "rejected")) {
        return RejectedPruner.prune(rejected, keep);
      }
    });
  }

  private static boolean moveNoReplace(Fd from, byte[] raw, Fd to, String candidate, String where)
      throws IOException {
    byte[] target = TreeNames.bytes(candidate);
    try {
      from.renameAt(raw, to, target, Fd.RENAME_NOREPLACE, where);
      return true;
    } catch (ErrnoException e) {
      switch (e.errno()) {
        case ErrnoException.EEXIST, ErrnoException.ENOTEMPTY -> {
          return false;
        }
        case ErrnoException.EINVAL -> {
          // A filesystem without RENAME_NOREPLACE: check, then rename; the target directory is
          // the user's own, so the remaining race can only clobber the user's own rejected entry.
          if (TreeIo.statOrNull(to, target, where) != null) {
            return false;
          }
          from.renameAt(raw, to, target, 0, where);
          return true;
        }
        case ErrnoException.ENOENT -> throw TreeIo.missing(where, e);
        default -> throw e;
      }
    }
  }
}
