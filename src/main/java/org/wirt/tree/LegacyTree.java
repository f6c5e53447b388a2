package org.wirt.tree;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.posix.ErrnoException;
import org.wirt.posix.Fd;
import org.wirt.posix.FsIdentity;
import org.wirt.posix.Inotify;
import org.wirt.posix.Stat;

/**
 * The old cron script's layout in one home (issue 15): {@code ~/virsh/dom-<vm>/<verb>}, served
 * like {@code ~/wirt/command/vm/<vm>/<verb>} when {@code legacyTreeDir} is set. Its records go to
 * the tree ({@link HomeTree}): a refused file is moved into the tree's {@code rejected/}.
 *
 * <p>{@code ~/virsh} is a sibling of the tree, so it is opened from the home the same way as the
 * tree root (as the user, O_NOFOLLOW, then fstat: owned by the user), never by walking {@code ..}
 * from the tree. A {@code ~/virsh} or {@code dom-<vm>} that is a link is never followed.
 */
public final class LegacyTree {
  private static final Logger LOG = LoggerFactory.getLogger(LegacyTree.class);

  /** What every VM directory's name starts with: {@code dom-web} is VM {@code web}. */
  public static final String PREFIX = "dom-";

  /** What {@link #migrate} renames the old directory to, after the directory's own name. */
  public static final String MIGRATED_SUFFIX = ".migrated";

  private final HomeTree tree;
  private final String dir;
  private final String where;

  LegacyTree(HomeTree tree, String dir) {
    this.tree = Objects.requireNonNull(tree, "tree");
    this.dir = TreeNames.component(dir, "legacy directory name");
    this.where = "~" + tree.identity().user() + "/" + dir;
  }

  /** The tree the records of this layout go to. */
  public HomeTree tree() {
    return tree;
  }

  /** {@code ~user/virsh}: how messages name the old directory. */
  public String where() {
    return where;
  }

  /** {@code ~user/wirt}: how messages name the tree its records go to. */
  public String treeWhere() {
    return tree.where();
  }

  /** {@code ~user/virsh/dom-<vm>/<name>}: how messages name one of its command files. */
  public String where(String vm, EntryName name) {
    return where + "/" + PREFIX + vm + "/" + name.display();
  }

  /** What the home has where the old directory belongs. */
  public enum State {
    /** Nothing: the user never used the cron script, or has migrated. */
    ABSENT,
    /** A directory the user owns: served. */
    USABLE,
    /** A link, a file, or another user's directory: not served, never followed. */
    REFUSED
  }

  /** The state of the old directory, and for {@link State#REFUSED} why. */
  public record Presence(State state, String problem) {}

  /** Looks at the old directory as the user, without following a link there. */
  public Presence presence() throws IOException {
    try (FsIdentity.Scope scope = tree.assume(); Fd home = tree.openHome(); Fd root = openRoot(home)) {
      return new Presence(State.USABLE, null);
    } catch (NoSuchFileException e) {
      return new Presence(State.ABSENT, null);
    } catch (NotADirectoryException | NotTheUsersException e) {
      return new Presence(State.REFUSED, e.getMessage());
    }
  }

  /**
   * Creates the tree root ({@code ~/wirt}, 0700) as the user if the home has none, so that what is
   * served from the old directory has a place for its records.
   *
   * @return whether it was created now
   * @throws IOException if something else than a directory is there (a link is not replaced)
   */
  public boolean createTreeRoot() throws IOException {
    try (FsIdentity.Scope scope = tree.assume(); Fd home = tree.openHome()) {
      return createTreeRoot(home);
    }
  }

  /**
   * Lists the old directory's entries named {@code dom-…} among its first {@link
   * HomeTree#MAX_VM_DIRECTORIES} names, and looks into each directory whose name {@code isVm}
   * accepts for commands, in one walk under one identity switch. Anything else there ({@code
   * history/}, {@code log/}) is not looked at. An old directory that is missing, a link or not the
   * user's is said so in the result, and nothing of it is listed.
   */
  public Scan scanVmDirectories(Predicate<EntryName> isVm) throws IOException {
    try {
      return new Scan(new Presence(State.USABLE, null), listVmDirectories(isVm));
    } catch (NoSuchFileException e) {
      return new Scan(new Presence(State.ABSENT, null), List.of());
    } catch (NotADirectoryException | NotTheUsersException e) {
      return new Scan(new Presence(State.REFUSED, e.getMessage()), List.of());
    }
  }

  /**
   * What {@link #scanVmDirectories} found: whether the old directory is there and served, and its
   * {@code dom-} entries (none unless {@link State#USABLE}).
   */
  public record Scan(Presence presence, List<HomeTree.VmDirectory> directories) {
    public Scan {
      directories = List.copyOf(directories);
    }
  }

  private List<HomeTree.VmDirectory> listVmDirectories(Predicate<EntryName> isVm) throws IOException {
    return run(root -> {
      List<Entry> entries = new ArrayList<>();
      BoundedListing.forEachEntry(root, HomeTree.MAX_VM_DIRECTORIES,
          name -> name.startsWith(PREFIX), entries::add);
      List<HomeTree.VmDirectory> found = new ArrayList<>();
      for (Entry e : entries) {
        boolean commands = false;
        if (e.type() == EntryType.DIRECTORY && isVm.test(e.name())) {
          try (Fd vmDir = TreeIo.openDir(root, e.name().text().orElseThrow(), where + "/" + e.name().display())) {
            commands = CommandDirectory.holdsCommands(vmDir);
          } catch (IOException ex) {
            LOG.warn("cannot list user={} dir={}", tree.identity().user(), where + "/" + e.name().display(), ex);
          }
        }
        found.add(new HomeTree.VmDirectory(e, commands));
      }
      return found;
    });
  }

  /**
   * As {@link HomeTree#oldestCommands}, for {@code dom-<vm>/}: the {@code limit} first entries by
   * {@code order} among its first {@link HomeTree#MAX_COMMANDS_INSPECTED} names.
   */
  public HomeTree.Listing oldestCommands(String vm, int limit, Comparator<Entry> order) throws IOException {
    return onVm(vm, dir -> {
      PriorityQueue<Entry> kept = new PriorityQueue<>(order.reversed());
      int[] total = {0};
      boolean capped = BoundedListing.forEachEntry(dir, HomeTree.MAX_COMMANDS_INSPECTED,
          name -> !TreeNames.ignored(name), entry -> {
            total[0]++;
            kept.add(entry);
            if (kept.size() > limit) {
              kept.poll();
            }
          });
      List<Entry> oldest = new ArrayList<>(kept);
      oldest.sort(order);
      return new HomeTree.Listing(oldest, total[0], capped);
    });
  }

  /** Whether {@code dom-<vm>/} holds anything but writes in progress. */
  public boolean hasCommands(String vm) throws IOException {
    return onVm(vm, CommandDirectory::holdsCommands);
  }

  /**
   * As {@link HomeTree#readCommand}: reads {@code dom-<vm>/<name>} only if it is a regular file
   * owned by the user with one link and at most {@code maxBytes} bytes.
   *
   * @throws NoSuchFileException if the entry vanished
   */
  public ReadResult readCommand(String vm, EntryName name, int maxBytes) throws IOException {
    byte[] raw = TreeNames.entry(name);
    return onVm(vm, dir -> RegularFiles.read(dir, raw, where(vm, name), maxBytes, tree.identity()));
  }

  /**
   * Unlinks {@code dom-<vm>/<name>} if it is still the file described by {@code expected}; false
   * if it, its directory or the old directory is gone, or it was replaced.
   */
  public boolean removeCommand(String vm, EntryName name, FileFacts expected) throws IOException {
    byte[] raw = TreeNames.entry(name);
    try {
      return onVm(vm, dir -> {
        Stat now = TreeIo.statOrNull(dir, raw, where(vm, name));
        if (now == null || now.dev() != expected.dev() || now.ino() != expected.ino()) {
          return false;
        }
        try {
          dir.unlinkAt(raw, 0, where(vm, name));
          return true;
        } catch (ErrnoException e) {
          if (e.errno() == ErrnoException.ENOENT) {
            return false;
          }
          throw e;
        }
      });
    } catch (NoSuchFileException e) {
      return false;
    }
  }

  /**
   * Moves {@code dom-<vm>/<name>} of any type into the tree's {@code rejected/} under a fresh name
   * {@code virsh.dom-<vm>.<escaped name>.<yyyyMMddTHHmmssSSS>[.<n>]}, never replacing anything.
   *
   * @return the new name in {@code rejected/}
   * @throws NoSuchFileException if the entry vanished
   */
  public String reject(String vm, EntryName name) throws IOException {
    byte[] raw = TreeNames.entry(name);
    RejectedEntries rejected = tree.rejectedEntries();
    String base = TreeNames.escape(TreeNames.bytes(dir)) + "." + TreeNames.escape(TreeNames.bytes(PREFIX + vm))
        + "." + TreeNames.escape(raw) + "." + rejected.stamp();
    return onVm(vm, from -> {
      try (Fd root = tree.openRoot()) {
        return rejected.moveInto(root, from, raw, base, where(vm, name));
      }
    });
  }

  /**
   * Watches the old directory itself ({@code vm} null: for new {@code dom-} directories) or {@code
   * dom-<vm>/}, through a descriptor opened without following links, as {@link HomeTree#addWatch}.
   *
   * @return the watch descriptor
   */
  public int addWatch(Inotify inotify, String vm, int mask) throws IOException {
    Action<Integer> add = dir -> inotify.addWatch("/proc/self/fd/" + dir.number(), mask | Inotify.IN_ONLYDIR);
    return vm == null ? run(add) : onVm(vm, add);
  }

  /**
   * Moves every pending command file of the old layout into the tree ({@code wirtctl
   * migrate-tree}), as the user, then renames the old directory so it is no longer served.
   * See {@link LegacyMigration}.
   *
   * @param isVm which names after {@code dom-} are valid VM names
   * @param dryRun say what would be done, change nothing
   */
  public LegacyMigration.Report migrate(Predicate<String> isVm, boolean dryRun) throws IOException {
    try (FsIdentity.Scope scope = tree.assume(); Fd home = tree.openHome()) {
      return new LegacyMigration(this, home, isVm, dryRun).run();
    }
  }

  /** The work of one method, given an open directory. */
  interface Action<T> {
    T run(Fd dir) throws IOException;
  }

  /** Thrown when the old directory is there but is not the user's. */
  static final class NotTheUsersException extends IOException {
    private static final long serialVersionUID = 1L;

    NotTheUsersException(String message) {
      super(message);
    }
  }

  String dir() {
    return dir;
  }

  /**
   * Opens {@code ~/virsh} below the open home with O_NOFOLLOW and checks on the descriptor that the
   * user owns it; the caller runs as the user.
   */
  Fd openRoot(Fd home) throws IOException {
    Fd root = TreeIo.walk(home, List.of(dir), "~" + tree.identity().user(), false);
    try {
      Stat st = root.stat();
      if (st.uid() != tree.identity().uid()) {
        throw new NotTheUsersException(where + " is owned by uid " + st.uid() + ", not by "
            + tree.identity().user() + " (uid " + tree.identity().uid()
            + "); wirt serves only an old directory the user owns");
      }
      return root;
    } catch (IOException | RuntimeException e) {
      TreeIo.closeQuietly(root, e);
      throw e;
    }
  }

  /** Creates the tree root below the open home if nothing is there; the caller runs as the user. */
  boolean createTreeRoot(Fd home) throws IOException {
    List<String> treeDir = tree.treeDir();
    if (TreeIo.statOrNull(home, TreeNames.bytes(treeDir.get(0)), tree.where()) != null) {
      return false;
    }
    TreeIo.walk(home, treeDir, "~" + tree.identity().user(), true).close();
    LOG.info("created tree user={} tree={} reason=\"serving {}\"", tree.identity().user(), tree.where(), where);
    return true;
  }

  private <T> T run(Action<T> action) throws IOException {
    try (FsIdentity.Scope scope = tree.assume(); Fd home = tree.openHome(); Fd root = openRoot(home)) {
      return action.run(root);
    }
  }

  /** Runs {@code action} on {@code dom-<vm>/}, opened as the user without following links. */
  private <T> T onVm(String vm, Action<T> action) throws IOException {
    TreeNames.component(vm, "VM name");
    return run(root -> {
      try (Fd vmDir = TreeIo.openDir(root, PREFIX + vm, where + "/" + PREFIX + vm)) {
        return action.run(vmDir);
      }
    });
  }
}
