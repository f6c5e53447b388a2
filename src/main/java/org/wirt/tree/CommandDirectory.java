package org.wirt.tree;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.posix.ErrnoException;
import org.wirt.posix.Fd;
import org.wirt.posix.Stat;

/**
 * The command-directory protocol of one tree (SPEC 2): listing {@code command/vm/} and a VM's
 * commands, reading a command file and removing it once taken, and keeping {@code results/} to
 * its newest files. Every listing looks at a bounded number of names, however many a user makes.
 */
final class CommandDirectory {
  private static final Logger LOG = LoggerFactory.getLogger(CommandDirectory.class);
  static final int MAX_VM_DIRECTORIES = 1024;
  static final int MAX_COMMANDS_INSPECTED = 65536;
  static final int MAX_LISTED = 4096;
  static final int MAX_PRUNE_INSPECTED = 4096;
  private static final byte[] SETTINGS_RAW = TreeNames.bytes(TreeNames.SETTINGS);
  private static final Comparator<Entry> OLDEST_FIRST = Comparator.comparingLong(Entry::mtimeNanos)
      .thenComparing(e -> e.name().raw(), Arrays::compareUnsigned);

  private final HomeTree tree;
  private volatile boolean capLogged;

  CommandDirectory(HomeTree tree) {
    this.tree = Objects.requireNonNull(tree, "tree");
  }

  List<Entry> listVmDirectories() throws IOException {
    return tree.run(root -> {
      try (Fd dir = TreeIo.walk(root, List.of("command", "vm"), tree.where(), false)) {
        return list(dir, name -> !name.startsWith("."), MAX_VM_DIRECTORIES);
      }
    });
  }

  List<HomeTree.VmDirectory> scanVmDirectories(Predicate<EntryName> isVm, Collection<String> owned)
      throws IOException {
    owned.forEach(vm -> TreeNames.component(vm, "VM name"));
    String vmsWhere = tree.where() + "/command/vm";
    return tree.run(root -> {
      try (Fd dir = TreeIo.walk(root, List.of("command", "vm"), tree.where(), false)) {
        List<Entry> entries = new ArrayList<>(list(dir, name -> !name.startsWith("."), MAX_VM_DIRECTORIES));
        Set<String> listed = new HashSet<>();
        entries.forEach(e -> e.name().text().ifPresent(listed::add));
        for (String vm : owned) {
          if (!listed.contains(vm)) {
            byte[] raw = TreeNames.bytes(vm);
            Stat st = TreeIo.statOrNull(dir, raw, vmsWhere + "/" + vm);
            if (st != null) {
              entries.add(TreeIo.entry(new EntryName(raw), st));
              listed.add(vm);
            }
          }
        }
        List<HomeTree.VmDirectory> found = new ArrayList<>();
        for (Entry e : entries) {
          boolean commands = false;
          boolean settings = false;
          if (e.type() == EntryType.DIRECTORY && isVm.test(e.name())) {
            String vm = e.name().text().orElseThrow();
            try (Fd vmDir = TreeIo.walk(dir, List.of(vm), vmsWhere, false)) {
              // The names the look for commands reads anyway also tell whether a settings.json
              // is there: the settings pass then reads only the VMs that have one.
              Holds holds = holds(vmDir);
              commands = holds.commands();
              settings = holds.settings();
            } catch (IOException ex) {
              LOG.warn("cannot list user={} vm={}", tree.identity().user(), vm, ex);
            }
          }
          found.add(new HomeTree.VmDirectory(e, commands, settings));
        }
        return found;
      }
    });
  }

  HomeTree.Listing oldestCommands(String vm, int limit, Comparator<Entry> order) throws IOException {
    return onVm(vm, dir -> {
      PriorityQueue<Entry> kept = new PriorityQueue<>(order.reversed());
      int[] total = {0};
      boolean capped = BoundedListing.forEachEntry(dir, MAX_COMMANDS_INSPECTED,
          name -> !TreeNames.notACommand(name), entry -> {
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

  boolean hasCommands(String vm) throws IOException {
    return onVm(vm, CommandDirectory::holdsCommands);
  }

  List<Entry> listCommands(String vm) throws IOException {
    return onVm(vm, dir -> list(dir, name -> !TreeNames.notACommand(name), MAX_LISTED));
  }

  ReadResult readCommand(String vm, EntryName name, int maxBytes) throws IOException {
    TreeNames.component(vm, "VM name");
    byte[] raw = TreeNames.entry(name);
    return onVm(vm, dir -> RegularFiles.read(dir, raw, where(vm, name), maxBytes, tree.identity()));
  }

  boolean removeCommand(String vm, EntryName name, FileFacts expected) throws IOException {
    TreeNames.component(vm, "VM name");
    byte[] raw = TreeNames.entry(name);
    return onVm(vm, dir -> {
      String where = where(vm, name);
      Stat now = TreeIo.statOrNull(dir, raw, where);
      if (now == null || now.dev() != expected.dev() || now.ino() != expected.ino()) {
        return false;
      }
      return unlinkIfThere(dir, raw, where);
    });
  }

  void pruneOldest(String relativeDir, String suffix, int keep) throws IOException {
    List<String> parts = TreeNames.relative(relativeDir);
    tree.run(root -> {
      Fd dir;
      try {
        dir = TreeIo.walk(root, parts, tree.where(), false);
      } catch (NoSuchFileException e) {
        return null;
      }
      try (dir) {
        // The newest kept in a heap: a file pushed out of it is older than keep others.
        PriorityQueue<Entry> newest = new PriorityQueue<>(OLDEST_FIRST);
        boolean capped = BoundedListing.forEachEntry(dir, MAX_PRUNE_INSPECTED,
            name -> name.endsWith(suffix), entry -> {
              if (entry.type() != EntryType.REGULAR) {
                return;
              }
              newest.add(entry);
              if (newest.size() > keep) {
                Entry old = newest.poll();
                unlinkIfThere(dir, old.name().raw(), dir.what() + "/" + old.name().display());
              }
            });
        if (capped) {
          LOG.debug("pruned part of a large directory user={} path={} inspected={}",
              tree.identity().user(), dir.what(), MAX_PRUNE_INSPECTED);
        }
      }
      return null;
    });
  }

  private interface VmAction<T> {
    T run(Fd vmDir) throws IOException;
  }

  /** Runs {@code action} on {@code command/vm/<vm>/}, opened as the user without following links. */
  private <T> T onVm(String vm, VmAction<T> action) throws IOException {
    TreeNames.component(vm, "VM name");
    return tree.run(root -> {
      try (Fd dir = TreeIo.walk(root, List.of("command", "vm", vm), tree.where(), false)) {
        return action.run(dir);
      }
    });
  }

  private String where(String vm, EntryName name) {
    return tree.where() + "/command/vm/" + vm + "/" + name.display();
  }

  /**
   * Whether {@code dir} holds a name that is not a write in progress; true also when the first
   * {@link #MAX_COMMANDS_INSPECTED} names are all writes in progress (there may be more), so that
   * a directory of any size costs a bounded time.
   */
  static boolean holdsCommands(Fd dir) throws IOException {
    boolean[] found = {false};
    int[] seen = {0};
    dir.forEachName(raw -> {
      found[0] = seen[0]++ >= MAX_COMMANDS_INSPECTED || !TreeNames.notACommand(new EntryName(raw));
      return !found[0];
    });
    return found[0];
  }

  /** Whether a VM directory holds commands (as {@link #holdsCommands}) and a settings.json. */
  private record Holds(boolean commands, boolean settings) {}

  /**
   * {@link #holdsCommands}, reading on past the first command until a settings.json is seen too
   * (or the {@link #MAX_COMMANDS_INSPECTED} names): a directory of a few names is read whole
   * either way, in the one listing.
   */
  private static Holds holds(Fd dir) throws IOException {
    boolean[] found = {false, false};
    int[] seen = {0};
    dir.forEachName(raw -> {
      if (seen[0]++ >= MAX_COMMANDS_INSPECTED) {
        found[0] = true;
        return false;
      }
      if (Arrays.equals(raw, SETTINGS_RAW)) {
        found[1] = true;
      } else if (!found[0] && !TreeNames.ignored(new EntryName(raw))) {
        found[0] = true;
      }
      return !(found[0] && found[1]);
    });
    if (seen[0] > MAX_COMMANDS_INSPECTED && !found[1]) {
      // Cut short before settings.json came by: asked for by name, as rarely as this happens.
      try {
        dir.statAt(SETTINGS_RAW, dir.what() + "/" + TreeNames.SETTINGS);
        found[1] = true;
      } catch (ErrnoException e) {
        if (e.errno() != ErrnoException.ENOENT) {
          throw e;
        }
      }
    }
    return new Holds(found[0], found[1]);
  }

  /** The wanted entries among the first {@code maxNames} names of {@code dir}, oldest first. */
  private List<Entry> list(Fd dir, Predicate<EntryName> wanted, int maxNames) throws IOException {
    List<Entry> entries = new ArrayList<>();
    boolean capped = BoundedListing.forEachEntry(dir, maxNames, wanted, entries::add);
    if (capped && !capLogged) {
      capLogged = true;
      LOG.warn("large directory user={} path={}: only the first {} names are looked at",
          tree.identity().user(), dir.what(), maxNames);
    }
    entries.sort(OLDEST_FIRST);
    return entries;
  }

  /** Unlinks {@code raw}; false if it was gone already. */
  private static boolean unlinkIfThere(Fd dir, byte[] raw, String where) throws IOException {
    try {
      dir.unlinkAt(raw, 0, where);
      return true;
    } catch (ErrnoException e) {
      if (e.errno() == ErrnoException.ENOENT) {
        return false;
      }
      throw e;
    }
  }
}
