package org.wirt.tree;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;
import org.wirt.posix.ErrnoException;
import org.wirt.posix.Fd;
import org.wirt.posix.Stat;

/**
 * Moves one home from the old layout to the tree ({@code wirtctl migrate-tree}), running as the
 * user on the open home: creates the tree root if missing, renames each pending {@code
 * ~/virsh/dom-<vm>/<verb>} to {@code ~/wirt/command/vm/<vm>/<verb>} (a rename keeps the file,
 * its inode and its modification time, so the order of commands is kept and a command wirtd
 * claims meanwhile is either moved or served, never both), never replacing a file there, and
 * then renames {@code ~/virsh} to {@code ~/virsh.migrated}, history and logs inside, so the old
 * directory is no longer served.
 *
 * <p>Nothing is followed: {@code dom-} entries that are links or not directories are skipped and
 * said so, as are entries in them that are not regular files of the user's with one link (wirtd
 * would refuse them). If any pending file could not be moved, {@code ~/virsh} stays, so that it
 * is still served.
 */
public final class LegacyMigration {
  private final LegacyTree legacy;
  private final Fd home;
  private final Predicate<String> isVm;
  private final boolean dryRun;
  private final List<String> lines = new ArrayList<>();
  private int moved;
  private int left;

  /**
   * What a migration did, one line per step, as {@code wirtctl migrate-tree} prints it.
   *
   * @param moved how many command files were moved (or, in a dry run, would be)
   * @param left how many pending command files were not moved (they stay served in place)
   * @param retired whether the old directory was (or would be) renamed
   */
  public record Report(List<String> lines, int moved, int left, boolean retired) {
    public Report {
      lines = List.copyOf(lines);
    }
  }

  LegacyMigration(LegacyTree legacy, Fd home, Predicate<String> isVm, boolean dryRun) {
    this.legacy = Objects.requireNonNull(legacy, "legacy");
    this.home = Objects.requireNonNull(home, "home");
    this.isVm = Objects.requireNonNull(isVm, "isVm");
    this.dryRun = dryRun;
  }

  Report run() throws IOException {
    HomeTree tree = legacy.tree();
    String from = legacy.where();
    Fd old;
    try {
      old = legacy.openRoot(home);
    } catch (NoSuchFileException e) {
      lines.add("nothing to do: " + from + " does not exist");
      return new Report(lines, 0, 0, false);
    }
    try (old) {
      boolean created = dryRun
          ? TreeIo.statOrNull(home, TreeNames.bytes(tree.treeDir().get(0)), tree.where()) == null
          : legacy.createTreeRoot(home);
      if (created) {
        lines.add((dryRun ? "would create " : "created ") + tree.where());
      }
      List<Entry> dirs = new ArrayList<>();
      if (BoundedListing.forEachEntry(old, HomeTree.MAX_VM_DIRECTORIES,
          name -> name.startsWith(LegacyTree.PREFIX), dirs::add)) {
        // What this pass did not look at stays, and so does ~/virsh until a later pass.
        left++;
        lines.add("kept the rest of " + from + ": more than " + HomeTree.MAX_VM_DIRECTORIES
            + " names, of which the first are done; run migrate-tree again");
      }
      dirs.sort((a, b) -> a.name().display().compareTo(b.name().display()));
      Fd root = dryRun && created ? null : tree.openRoot();
      try {
        for (Entry d : dirs) {
          migrateVm(old, root, d);
        }
      } finally {
        if (root != null) {
          root.close();
        }
      }
    }
    boolean retired = left == 0 && retire();
    return new Report(lines, moved, left, retired);
  }

  private void migrateVm(Fd old, Fd root, Entry d) throws IOException {
    String dirWhere = legacy.where() + "/" + d.name().display();
    String vm = d.name().text().map(t -> t.substring(LegacyTree.PREFIX.length())).orElse("");
    if (d.type() != EntryType.DIRECTORY) {
      lines.add("skipped " + dirWhere + ": is " + d.type().phrase() + ", not a directory; not followed");
      return;
    }
    if (!isVm.test(vm)) {
      lines.add("skipped " + dirWhere + ": '" + vm + "' is not a valid VM name");
      return;
    }
    List<Entry> files = new ArrayList<>();
    try (Fd from = TreeIo.openDir(old, LegacyTree.PREFIX + vm, dirWhere)) {
      if (BoundedListing.forEachEntry(from, CommandDirectory.MAX_LISTED, name -> !TreeNames.ignored(name),
          files::add)) {
        left++;
        lines.add("kept the rest of " + dirWhere + ": more than " + CommandDirectory.MAX_LISTED
            + " names, of which the first are done; run migrate-tree again");
      }
      files.sort((a, b) -> Long.compare(a.mtimeNanos(), b.mtimeNanos()));
      if (files.isEmpty()) {
        return;
      }
      String toWhere = legacy.tree().where() + "/command/vm/" + vm;
      Fd to = root == null ? null : openTarget(root, vm);
      try {
        for (Entry f : files) {
          moveFile(from, to, f, dirWhere + "/" + f.name().display(), toWhere + "/" + f.name().display());
        }
      } finally {
        if (to != null) {
          to.close();
        }
      }
    } catch (NotADirectoryException e) {
      // Swapped for a link since it was listed: not followed.
      lines.add("skipped " + dirWhere + ": " + e.getMessage());
    }
  }

  /** {@code command/vm/<vm>/}, made if missing (not in a dry run: then null if missing). */
  private Fd openTarget(Fd root, String vm) throws IOException {
    String rootWhere = legacy.tree().where();
    if (dryRun) {
      try {
        return TreeIo.walk(root, List.of("command", "vm", vm), rootWhere, false);
      } catch (NoSuchFileException e) {
        return null;
      }
    }
    try (Fd command = TreeIo.ensureDir(root, "command", rootWhere + "/command", legacy.tree().identity().user());
        Fd vms = TreeIo.ensureDir(command, "vm", rootWhere + "/command/vm", legacy.tree().identity().user())) {
      return TreeIo.ensureDir(vms, vm, rootWhere + "/command/vm/" + vm, legacy.tree().identity().user());
    }
  }

  private void moveFile(Fd from, Fd to, Entry f, String fromWhere, String toWhere) throws IOException {
    byte[] raw = f.name().raw();
    Stat st = TreeIo.statOrNull(from, raw, fromWhere);
    if (st == null) {
      return;
    }
    String problem = RegularFiles.problem(st, legacy.tree().identity());
    if (problem != null) {
      // Not a command wirtd would run; it stays, and is refused if ~/virsh is still served.
      lines.add("skipped " + fromWhere + ": " + problem);
      return;
    }
    if (to != null && TreeIo.statOrNull(to, raw, toWhere) != null) {
      left++;
      lines.add("kept " + fromWhere + ": " + toWhere + " exists and is not replaced");
      return;
    }
    if (dryRun) {
      moved++;
      lines.add("would move " + fromWhere + " -> " + toWhere);
      return;
    }
    try {
      from.renameAt(raw, to, raw, Fd.RENAME_NOREPLACE, fromWhere);
      moved++;
      lines.add("moved " + fromWhere + " -> " + toWhere);
    } catch (ErrnoException e) {
      switch (e.errno()) {
        case ErrnoException.ENOENT -> {
          // Taken by wirtd meanwhile: served from where it was.
        }
        case ErrnoException.EEXIST -> {
          left++;
          lines.add("kept " + fromWhere + ": " + toWhere + " exists and is not replaced");
        }
        default -> {
          left++;
          lines.add("kept " + fromWhere + ": cannot move it (" + e.getMessage() + ")");
        }
      }
    }
  }

  /** Renames {@code ~/virsh} to {@code ~/virsh.migrated}, never replacing anything there. */
  private boolean retire() throws IOException {
    String from = legacy.where();
    String toName = legacy.dir() + LegacyTree.MIGRATED_SUFFIX;
    String to = "~" + legacy.tree().identity().user() + "/" + toName;
    if (TreeIo.statOrNull(home, TreeNames.bytes(toName), to) != null) {
      lines.add("kept " + from + ": " + to + " exists; rename or remove it, then run migrate-tree again");
      return false;
    }
    if (dryRun) {
      lines.add("would rename " + from + " -> " + to + " (its history and logs inside)");
      return true;
    }
    try {
      home.renameAt(TreeNames.bytes(legacy.dir()), home, TreeNames.bytes(toName), Fd.RENAME_NOREPLACE, from);
    } catch (ErrnoException e) {
      lines.add("kept " + from + ": cannot rename it to " + to + " (" + e.getMessage() + ")");
      return false;
    }
    lines.add("renamed " + from + " -> " + to + " (its history and logs inside); it is no longer served");
    return true;
  }
}
