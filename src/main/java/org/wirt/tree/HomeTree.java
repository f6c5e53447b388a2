package org.wirt.tree;

import static org.wirt.posix.Fd.O_APPEND;
import static org.wirt.posix.Fd.O_CLOEXEC;
import static org.wirt.posix.Fd.O_CREAT;
import static org.wirt.posix.Fd.O_DIRECTORY;
import static org.wirt.posix.Fd.O_NOCTTY;
import static org.wirt.posix.Fd.O_NOFOLLOW;
import static org.wirt.posix.Fd.O_NONBLOCK;
import static org.wirt.posix.Fd.O_RDONLY;
import static org.wirt.posix.Fd.O_WRONLY;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
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
import org.wirt.posix.FsIdentity;
import org.wirt.posix.Inotify;
import org.wirt.posix.Stat;

/**
 * Safe access to one user's {@code ~/wirt} (SPEC 2, 8). Every method runs on the calling thread
 * with the user's filesystem identity, so the kernel grants wirtd exactly what the user has; opens
 * the home afresh; opens every component below it relative to its parent with O_NOFOLLOW; and
 * decides on the facts of open descriptors, never on paths that could change in between.
 */
public final class HomeTree {
  private static final Logger LOG = LoggerFactory.getLogger(HomeTree.class);
  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmssSSS").withZone(ZoneOffset.UTC);
  private static final Object[] APPEND_LOCKS = newLocks(64);

  private final Identity identity;
  private final Path home;
  private final List<String> treeDir;
  private final String rootWhere;
  private final Clock clock;
  private volatile boolean capLogged;

  /** The tree {@code home/treeDir} of {@code identity}; rejected entries are stamped in UTC. */
  public HomeTree(Identity identity, Path home, String treeDir) {
    this(identity, home, treeDir, Clock.systemUTC());
  }

  /** As {@link #HomeTree(Identity, Path, String)}, with the clock that stamps rejected entries. */
  public HomeTree(Identity identity, Path home, String treeDir, Clock clock) {
    this.identity = Objects.requireNonNull(identity, "identity");
    this.home = Objects.requireNonNull(home, "home");
    this.treeDir = Names.relative(treeDir);
    this.clock = Objects.requireNonNull(clock, "clock");
    this.rootWhere = "~" + identity.user() + "/" + treeDir;
  }

  /** The user this tree belongs to. */
  public Identity identity() {
    return identity;
  }

  /** {@code home/treeDir}, for messages only: nothing here opens this path. */
  public Path root() {
    return home.resolve(String.join("/", treeDir));
  }

  /** Whether the tree root is a real directory (not a link) owned by the user. */
  public boolean exists() throws IOException {
    try (FsIdentity.Scope scope = assume(); Fd root = openRoot()) {
      return true;
    } catch (NoSuchFileException e) {
      return false;
    } catch (NotTheUsersException | NotADirectoryException e) {
      LOG.debug("tree not usable user={} reason={}", identity.user(), e.getMessage());
      return false;
    }
  }

  /**
   * Creates what is missing of {@code command/vm/<vm>/}, {@code info/vm/<vm>/}, {@code logs/vm/}
   * and {@code rejected/} (0700, owned by the user), replacing any link or file found where one of
   * these directories belongs. The tree root itself must exist.
   */
  public void ensureSkeleton(Collection<String> vms) throws IOException {
    vms.forEach(vm -> Names.component(vm, "VM name"));
    run(root -> {
      for (String top : List.of("command", "info")) {
        try (Fd dir = ensure(root, rootWhere, top); Fd vmDir = ensure(dir, rootWhere + "/" + top, "vm")) {
          for (String vm : vms) {
            ensure(vmDir, rootWhere + "/" + top + "/vm", vm).close();
          }
        }
      }
      try (Fd logs = ensure(root, rootWhere, "logs")) {
        ensure(logs, rootWhere + "/logs", "vm").close();
      }
      ensure(root, rootWhere, "rejected").close();
      return null;
    });
  }

  /**
   * How many names of {@code command/vm/} one listing looks at. A user has a directory per VM they
   * own or create; a user who makes 500,000 costs each listing this many, and any VM of theirs the
   * listing did not reach is looked up by name ({@link #scanVmDirectories}).
   */
  public static final int MAX_VM_DIRECTORIES = 1024;

  /**
   * The entries of {@code command/vm/} except names starting with '.', as statx saw them: at most
   * those among the first {@link #MAX_VM_DIRECTORIES} names listed.
   */
  public List<Entry> listVmDirectories() throws IOException {
    return run(root -> {
      try (Fd dir = TreeIo.walk(root, List.of("command", "vm"), rootWhere, false)) {
        return list(dir, name -> !name.startsWith("."), MAX_VM_DIRECTORIES);
      }
    });
  }

  /** An entry of {@code command/vm/}; if it is a VM directory, whether it holds commands. */
  public record VmDirectory(Entry entry, boolean hasCommands) {}

  /**
   * Lists {@code command/vm/} and looks into each directory named like a VM for commands, in one
   * walk under one identity switch (the periodic sweep; {@link #listVmDirectories} and {@link
   * #hasCommands} take one each). A directory that cannot be looked into is logged and counted as
   * holding none; the next sweep looks again.
   *
   * <p>The listing looks at the first {@link #MAX_VM_DIRECTORIES} names, and at each of {@code
   * owned} by name if it did not reach it: however many directories a user makes, a sweep costs a
   * bounded amount and still finds the commands of every VM the user owns.
   */
  public List<VmDirectory> scanVmDirectories(Predicate<EntryName> isVm, Collection<String> owned)
      throws IOException {
    owned.forEach(vm -> Names.component(vm, "VM name"));
    return run(root -> {
      try (Fd dir = TreeIo.walk(root, List.of("command", "vm"), rootWhere, false)) {
        List<Entry> entries = new ArrayList<>(list(dir, name -> !name.startsWith("."), MAX_VM_DIRECTORIES));
        Set<String> listed = new HashSet<>();
        entries.forEach(e -> e.name().text().ifPresent(listed::add));
        for (String vm : owned) {
          if (!listed.contains(vm)) {
            byte[] raw = Names.bytes(vm);
            Stat st = TreeIo.statOrNull(dir, raw, rootWhere + "/command/vm/" + vm);
            if (st != null) {
              entries.add(new Entry(new EntryName(raw), TreeIo.entryType(st), st.mtimeNanos(), st.size()));
              listed.add(vm);
            }
          }
        }
        List<VmDirectory> found = new ArrayList<>();
        for (Entry e : entries) {
          boolean commands = false;
          if (e.type() == EntryType.DIRECTORY && isVm.test(e.name())) {
            String vm = e.name().text().orElseThrow();
            try (Fd vmDir = TreeIo.walk(dir, List.of(vm), rootWhere + "/command/vm", false)) {
              commands = holdsCommands(vmDir);
            } catch (IOException ex) {
              LOG.warn("cannot list user={} vm={}: {}", identity.user(), vm, ex.getMessage());
            }
          }
          found.add(new VmDirectory(e, commands));
        }
        return found;
      }
    });
  }

  /**
   * How many names of one VM's command directory a listing looks at: the commands beyond them (in
   * the order the file system lists them) wait until those before them are taken.
   */
  public static final int MAX_COMMANDS_INSPECTED = 65536;

  /**
   * Returns the {@code limit} first entries of {@code command/vm/<vm>/} by {@code order} (writes in
   * progress left out) among its first {@link #MAX_COMMANDS_INSPECTED} names, and how many
   * entries there are among those. Memory stays bounded by {@code limit}, and time by the cap,
   * however many entries a user puts there.
   */
  public Listing oldestCommands(String vm, int limit, Comparator<Entry> order) throws IOException {
    Names.component(vm, "VM name");
    return run(root -> {
      try (Fd dir = TreeIo.walk(root, List.of("command", "vm", vm), rootWhere, false)) {
        PriorityQueue<Entry> kept = new PriorityQueue<>(order.reversed());
        int[] total = {0};
        int[] seen = {0};
        dir.forEachName(raw -> {
          if (seen[0]++ >= MAX_COMMANDS_INSPECTED) {
            return false;
          }
          EntryName name = new EntryName(raw);
          if (Names.ignored(name)) {
            return true;
          }
          Stat st = TreeIo.statOrNull(dir, raw, dir.what() + "/" + name.display());
          if (st != null) {
            total[0]++;
            kept.add(new Entry(name, TreeIo.entryType(st), st.mtimeNanos(), st.size()));
            if (kept.size() > limit) {
              kept.poll();
            }
          }
          return true;
        });
        List<Entry> oldest = new ArrayList<>(kept);
        oldest.sort(order);
        return new Listing(oldest, total[0], seen[0] > MAX_COMMANDS_INSPECTED);
      }
    });
  }

  /**
   * What {@link #oldestCommands} found: the first entries, the number of entries it looked at, and
   * whether there were names beyond {@link #MAX_COMMANDS_INSPECTED} it did not look at.
   */
  public record Listing(List<Entry> oldest, int total, boolean capped) {}

  /** Returns whether {@code command/vm/<vm>/} holds anything but writes in progress. */
  public boolean hasCommands(String vm) throws IOException {
    Names.component(vm, "VM name");
    return run(root -> {
      try (Fd dir = TreeIo.walk(root, List.of("command", "vm", vm), rootWhere, false)) {
        return holdsCommands(dir);
      }
    });
  }

  /**
   * Whether {@code dir} holds a name that is not a write in progress; true also when the first
   * {@link #MAX_COMMANDS_INSPECTED} names are all writes in progress (there may be more), so that
   * a directory of any size costs a bounded time.
   */
  private static boolean holdsCommands(Fd dir) throws IOException {
    boolean[] found = {false};
    int[] seen = {0};
    dir.forEachName(raw -> {
      found[0] = seen[0]++ >= MAX_COMMANDS_INSPECTED || !Names.ignored(new EntryName(raw));
      return !found[0];
    });
    return found[0];
  }

  /** How many names {@link #listCommands} looks at. */
  static final int MAX_LISTED = 4096;

  /**
   * The command entries of {@code command/vm/<vm>/} (writes in progress left out) among its first
   * {@link #MAX_LISTED} names, oldest first; wirtd itself uses {@link #oldestCommands}.
   */
  public List<Entry> listCommands(String vm) throws IOException {
    Names.component(vm, "VM name");
    return run(root -> {
      try (Fd dir = TreeIo.walk(root, List.of("command", "vm", vm), rootWhere, false)) {
        return list(dir, name -> !Names.ignored(name), MAX_LISTED);
      }
    });
  }

  /**
   * Reads the command file {@code command/vm/<vm>/<name>} if it is a regular file owned by the
   * user with one link and at most {@code maxBytes} bytes; otherwise says why not, without reading.
   *
   * @throws NoSuchFileException if the entry vanished
   */
  public ReadResult readCommand(String vm, EntryName name, int maxBytes) throws IOException {
    Names.component(vm, "VM name");
    byte[] raw = Names.entry(name);
    String where = rootWhere + "/command/vm/" + vm + "/" + name.display();
    return run(root -> {
      try (Fd dir = TreeIo.walk(root, List.of("command", "vm", vm), rootWhere, false)) {
        return readRegular(dir, raw, where, maxBytes);
      }
    });
  }

  /**
   * Reads the file {@code dirs/name} of the home itself (not of the tree), such as {@code
   * .ssh/authorized_keys}, as the user and without following any link, if it is a regular file
   * owned by the user with one link and at most {@code maxBytes} bytes; otherwise says why not.
   *
   * @throws NoSuchFileException if the file or a directory on the way does not exist
   */
  public ReadResult readHomeFile(List<String> dirs, String name, int maxBytes) throws IOException {
    for (String dir : dirs) {
      Names.component(dir, "directory name");
    }
    Names.component(name, "file name");
    byte[] raw = Names.bytes(name);
    String homeWhere = "~" + identity.user();
    String where = homeWhere + "/" + String.join("/", dirs) + "/" + name;
    try (FsIdentity.Scope scope = assume(); Fd home = openHome();
        Fd dir = TreeIo.walk(home, dirs, homeWhere, false)) {
      return readRegular(dir, raw, where, maxBytes);
    }
  }

  /**
   * Reads the entry {@code raw} of {@code dir} if it is a regular file that passes {@link
   * #readChecked}; otherwise says why not, without reading.
   *
   * @throws NoSuchFileException if there is no such entry
   */
  private ReadResult readRegular(Fd dir, byte[] raw, String where, int maxBytes)
      throws IOException {
    Stat seen = TreeIo.statOrNull(dir, raw, where);
    if (seen == null) {
      throw new NoSuchFileException(where);
    }
    if (!seen.isRegular()) {
      return refuseType(seen);
    }
    Fd file;
    try {
      // O_NONBLOCK: should a FIFO be swapped in after the statx, opening it must not hang.
      file = dir.openAt(raw, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0, where);
    } catch (ErrnoException e) {
      return refuseOpen(dir, raw, where, e);
    }
    try (file) {
      return readChecked(file, maxBytes);
    }
  }

  /**
   * Unlinks {@code command/vm/<vm>/<name>} if it is still the file described by {@code expected}
   * (same device and inode); returns false if it is gone or was replaced.
   */
  public boolean removeCommand(String vm, EntryName name, FileFacts expected) throws IOException {
    Names.component(vm, "VM name");
    byte[] raw = Names.entry(name);
    String where = rootWhere + "/command/vm/" + vm + "/" + name.display();
    return run(root -> {
      try (Fd dir = TreeIo.walk(root, List.of("command", "vm", vm), rootWhere, false)) {
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
      }
    });
  }

  /**
   * Moves the entry {@code command/vm/<vm>/<name>} (or, with {@code vm} null, the entry
   * {@code command/vm/<name>}) of any type into {@code rejected/} under a fresh name
   * {@code [<vm>.]<escaped name>.<yyyyMMddTHHmmssSSS>[.<n>]}, never replacing anything there.
   *
   * @return the new name in {@code rejected/}
   * @throws NoSuchFileException if the entry vanished
   */
  public String reject(String vm, EntryName name) throws IOException {
    if (vm != null) {
      Names.component(vm, "VM name");
    }
    byte[] raw = Names.entry(name);
    List<String> source = vm == null ? List.of("command", "vm") : List.of("command", "vm", vm);
    String where = rootWhere + "/" + String.join("/", source) + "/" + name.display();
    String base = (vm == null ? "" : Names.escape(Names.bytes(vm)) + ".") + Names.escape(raw)
        + "." + STAMP.format(clock.instant());
    return run(root -> {
      try (Fd from = TreeIo.walk(root, source, rootWhere, false);
          Fd rejected = ensure(root, rootWhere, "rejected")) {
        for (int n = 0; n < 1000; n++) {
          String candidate = n == 0 ? base : base + "." + n;
          if (moveNoReplace(from, raw, rejected, candidate, where)) {
            // debug: a flood of refusals must not flood the journal; Rejector logs what it records.
            LOG.debug("rejected entry user={} entry={} to={}", identity.user(), where, candidate);
            return candidate;
          }
        }
        throw new IOException("cannot find a free name in " + rootWhere + "/rejected for " + where);
      }
    });
  }

  /**
   * Keeps the {@code keep} newest entries of {@code rejected/} (by modification time) and removes
   * the others, a refused directory with its content ({@link RejectedPruner}).
   *
   * @return how many entries were removed
   */
  public int pruneRejected(int keep) throws IOException {
    return run(root -> {
      try (Fd rejected = ensure(root, rootWhere, "rejected")) {
        return RejectedPruner.prune(rejected, keep);
      }
    });
  }

  /**
   * Replaces the file at {@code relativePath} (e.g. {@code info/vm/web/status.json}) with
   * {@code content} through a temporary file and a rename; missing parent directories are created.
   *
   * @throws IOException if a parent component is a link or not a directory (nothing is written)
   */
  public void writeFile(String relativePath, byte[] content) throws IOException {
    List<String> parts = Names.relative(relativePath);
    String name = parts.get(parts.size() - 1);
    run(root -> {
      try (Fd dir = TreeIo.walk(root, parts.subList(0, parts.size() - 1), rootWhere, true)) {
        TreeIo.replaceFile(dir, Names.bytes(name), content, rootWhere + "/" + relativePath);
      }
      return null;
    });
  }

  /**
   * Sets the modification time of the file at {@code relativePath} to now, as the user: no new
   * file, so far cheaper than {@link #writeFile} (a heartbeat). A link is touched itself, never
   * followed.
   *
   * @throws NoSuchFileException if there is no such file
   */
  public void touchFile(String relativePath) throws IOException {
    List<String> parts = Names.relative(relativePath);
    String name = parts.get(parts.size() - 1);
    String where = rootWhere + "/" + relativePath;
    run(root -> {
      try (Fd dir = TreeIo.walk(root, parts.subList(0, parts.size() - 1), rootWhere, false)) {
        dir.touchAt(Names.bytes(name), where);
      } catch (ErrnoException e) {
        if (e.errno() == ErrnoException.ENOENT) {
          NoSuchFileException missing = new NoSuchFileException(where);
          missing.initCause(e);
          throw missing;
        }
        throw e;
      }
      return null;
    });
  }

  /**
   * Removes the file at {@code relativePath} (e.g. {@code info/vm/web/settings.json}) if it is
   * there; a link on the way is never followed.
   */
  public void removeFile(String relativePath) throws IOException {
    List<String> parts = Names.relative(relativePath);
    String name = parts.get(parts.size() - 1);
    run(root -> {
      try (Fd dir = TreeIo.walk(root, parts.subList(0, parts.size() - 1), rootWhere, false)) {
        dir.unlinkAt(Names.bytes(name), 0, rootWhere + "/" + relativePath);
      } catch (NoSuchFileException e) {
        // already gone
      } catch (ErrnoException e) {
        if (e.errno() != ErrnoException.ENOENT) {
          throw e;
        }
      }
      return null;
    });
  }

  /** Turns wirt's note that it discarded a log into a line of that log's format. */
  @FunctionalInterface
  public interface NoteFormat {
    byte[] line(String note);
  }

  /** A note as a line of text. */
  public static final NoteFormat PLAIN_NOTE = note -> (note + "\n").getBytes(StandardCharsets.UTF_8);

  /**
   * A log larger than this many times its rotation size, or sparse, was not written by wirt's
   * appends alone: it is discarded unread (see {@link #appendLine}).
   */
  public static final int LOG_KEPT_ROTATIONS = 2;

  /** A log over its rotation size with less than 1/16 of it on disk is sparse. */
  static final int SPARSE_RATIO = 16;

  /** As {@link #appendLine(String, byte[], long, int, NoteFormat)}, with notes as plain text. */
  public void appendLine(String relativePath, byte[] line, long rotateAtBytes, int keep) throws IOException {
    appendLine(relativePath, line, rotateAtBytes, keep, PLAIN_NOTE);
  }

  /**
   * Appends {@code line} to the log at {@code relativePath} with a single write (never half a
   * line); once the file exceeds {@code rotateAtBytes} it is gzipped, streamed from its
   * descriptor, to {@code .1.gz}, older ones shift up to {@code .<keep>.gz}, and the live file
   * starts empty. A rotation that fails is logged and tried again at the next append; the line
   * is written either way.
   *
   * <p>Memory and time stay bounded whatever the user made of the file: a log larger than {@link
   * #LOG_KEPT_ROTATIONS} times {@code rotateAtBytes}, or sparse, grew by other means than these
   * appends (a {@code truncate -s 4G}, say) and is emptied without being read, and {@code note}
   * turns a line saying so into the log's format, written before {@code line}.
   *
   * @throws IOException if the file is not a regular file owned by the user with one link
   */
  public void appendLine(String relativePath, byte[] line, long rotateAtBytes, int keep, NoteFormat note)
      throws IOException {
    List<String> parts = Names.relative(relativePath);
    byte[] name = Names.bytes(parts.get(parts.size() - 1));
    String where = rootWhere + "/" + relativePath;
    Objects.requireNonNull(note, "note");
    run(root -> {
      try (Fd dir = TreeIo.walk(root, parts.subList(0, parts.size() - 1), rootWhere, true)) {
        synchronized (APPEND_LOCKS[Math.floorMod(Objects.hash(home, relativePath), APPEND_LOCKS.length)]) {
          append(dir, name, where, line, rotateAtBytes, keep, note);
        }
      }
      return null;
    });
  }

  /** How many names one {@link #pruneOldest} looks at, however many the directory holds. */
  public static final int MAX_PRUNE_INSPECTED = 4096;

  /**
   * In {@code relativeDir}, keeps the {@code keep} newest regular files (by mtime, then name) whose
   * name ends with {@code suffix} and unlinks the others. A missing directory has nothing to prune.
   *
   * <p>One call looks at the first {@link #MAX_PRUNE_INSPECTED} names the directory lists and
   * keeps the newest {@code keep} of them in a heap: a file pushed out of it is older than {@code
   * keep} others and is unlinked at once. So a directory of 500,000 entries costs one call a
   * bounded time and memory, and successive calls (one per result written) shrink it to {@code
   * keep}.
   */
  public void pruneOldest(String relativeDir, String suffix, int keep) throws IOException {
    List<String> parts = Names.relative(relativeDir);
    String dirWhere = rootWhere + "/" + relativeDir;
    run(root -> {
      Fd dir;
      try {
        dir = TreeIo.walk(root, parts, rootWhere, false);
      } catch (NoSuchFileException e) {
        return null;
      }
      try (dir) {
        PriorityQueue<Entry> newest = new PriorityQueue<>(OLDEST_FIRST);
        int[] seen = {0};
        dir.forEachName(raw -> {
          if (seen[0]++ >= MAX_PRUNE_INSPECTED) {
            return false;
          }
          EntryName name = new EntryName(raw);
          if (!name.endsWith(suffix)) {
            return true;
          }
          Stat st = TreeIo.statOrNull(dir, raw, dirWhere + "/" + name.display());
          if (st == null || !st.isRegular()) {
            return true;
          }
          newest.add(new Entry(name, EntryType.REGULAR, st.mtimeNanos(), st.size()));
          if (newest.size() > keep) {
            Entry old = newest.poll();
            try {
              dir.unlinkAt(old.name().raw(), 0, dirWhere + "/" + old.name().display());
            } catch (ErrnoException e) {
              if (e.errno() != ErrnoException.ENOENT) {
                throw e;
              }
            }
          }
          return true;
        });
        if (seen[0] > MAX_PRUNE_INSPECTED) {
          LOG.debug("pruned part of a large directory user={} path={} inspected={}", identity.user(),
              dirWhere, MAX_PRUNE_INSPECTED);
        }
      }
      return null;
    });
  }

  /**
   * Watches the directory {@code relativeDir} of the tree. The directory is opened without
   * following links and the watch is put on that open descriptor ({@code /proc/self/fd/N}), so a
   * link swapped in cannot redirect it.
   *
   * @return the watch descriptor
   */
  public int addWatch(Inotify inotify, String relativeDir, int mask) throws IOException {
    List<String> parts = Names.relative(relativeDir);
    return run(root -> {
      try (Fd dir = TreeIo.walk(root, parts, rootWhere, false)) {
        // Not IN_DONT_FOLLOW: /proc/self/fd/N is itself a link, to exactly the directory opened.
        return inotify.addWatch("/proc/self/fd/" + dir.number(), mask | Inotify.IN_ONLYDIR);
      }
    });
  }

  private static final Comparator<Entry> OLDEST_FIRST = Comparator.comparingLong(Entry::mtimeNanos)
      .thenComparing(e -> e.name().raw(), Arrays::compareUnsigned);

  private interface TreeAction<T> {
    T run(Fd root) throws IOException;
  }

  /** Thrown when the tree root is there but is not the user's directory. */
  private static final class NotTheUsersException extends IOException {
    private static final long serialVersionUID = 1L;

    NotTheUsersException(String message) {
      super(message);
    }
  }

  private <T> T run(TreeAction<T> action) throws IOException {
    try (FsIdentity.Scope scope = assume(); Fd root = openRoot()) {
      return action.run(root);
    }
  }

  private FsIdentity.Scope assume() throws IOException {
    return FsIdentity.assume(identity.uid(), identity.gid(), identity.groups());
  }

  /** The home may be followed (it comes from NSS or the admin); nothing below it is. */
  private Fd openRoot() throws IOException {
    Fd root;
    try (Fd homeFd = openHome()) {
      root = TreeIo.walk(homeFd, treeDir, "~" + identity.user(), false);
    }
    try {
      Stat st = root.stat();
      if (st.uid() != identity.uid()) {
        throw new NotTheUsersException(rootWhere + " is owned by uid " + st.uid() + ", not by "
            + identity.user() + " (uid " + identity.uid() + "); wirt uses only a tree the user owns");
      }
      return root;
    } catch (IOException | RuntimeException e) {
      TreeIo.closeQuietly(root, e);
      throw e;
    }
  }

  private Fd openHome() throws IOException {
    try {
      return Fd.open(home.toString(), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    } catch (ErrnoException e) {
      if (e.errno() == ErrnoException.ENOENT) {
        NoSuchFileException missing = new NoSuchFileException("~" + identity.user() + " (" + home + ")");
        missing.initCause(e);
        throw missing;
      }
      throw e;
    }
  }

  private Fd ensure(Fd parent, String parentWhere, String name) throws IOException {
    return TreeIo.ensureDir(parent, name, parentWhere + "/" + name, identity.user());
  }

  /**
   * The wanted entries among the first {@code maxNames} names of {@code dir} (every name counts,
   * wanted or not, so the time is bounded too), oldest first.
   */
  private List<Entry> list(Fd dir, Predicate<EntryName> wanted, int maxNames) throws IOException {
    List<Entry> entries = new ArrayList<>();
    int[] seen = {0};
    dir.forEachName(raw -> {
      if (seen[0]++ >= maxNames) {
        return false;
      }
      EntryName name = new EntryName(raw);
      if (wanted.test(name)) {
        Stat st = TreeIo.statOrNull(dir, raw, dir.what() + "/" + name.display());
        if (st != null) {
          entries.add(new Entry(name, TreeIo.entryType(st), st.mtimeNanos(), st.size()));
        }
      }
      return true;
    });
    if (seen[0] > maxNames && !capLogged) {
      capLogged = true;
      LOG.warn("large directory user={} path={}: only the first {} names are looked at", identity.user(),
          dir.what(), maxNames);
    }
    entries.sort(OLDEST_FIRST);
    return entries;
  }

  private ReadResult readChecked(Fd file, int maxBytes) throws IOException {
    Stat st = file.stat();
    String problem = problemWith(st);
    if (problem != null) {
      return new ReadResult.Refused(problem);
    }
    if (st.size() > maxBytes) {
      return new ReadResult.Refused(tooLarge(st.size(), maxBytes));
    }
    // Sized by the file, not by the limit (which may be megabytes): one byte more shows growth.
    byte[] buf = new byte[(int) st.size() + 1];
    int total = 0;
    while (true) {
      if (total == buf.length) {
        if (buf.length > maxBytes) {
          break;
        }
        buf = Arrays.copyOf(buf, (int) Math.min((long) maxBytes + 1, 2L * buf.length));
      }
      int n = file.read(buf, total, buf.length - total);
      if (n == 0) {
        break;
      }
      total += n;
    }
    if (total > maxBytes) {
      return new ReadResult.Refused("grew beyond " + maxBytes + " bytes while being read; at most "
          + maxBytes + " are accepted");
    }
    return new ReadResult.Content(Arrays.copyOf(buf, total), TreeIo.facts(st));
  }

  /** What disqualifies an open file from being the user's command or log; null if nothing. */
  private String problemWith(Stat st) {
    if (!st.isRegular()) {
      return "is " + TreeIo.typePhrase(st) + "; wirt accepts only regular files";
    }
    if (st.uid() != identity.uid()) {
      return "is owned by uid " + st.uid() + ", not by " + identity.user() + " (uid " + identity.uid() + ")";
    }
    if (st.nlink() != 1) {
      return "has " + st.nlink() + " hard links; a command file must have exactly one";
    }
    return null;
  }

  private static String tooLarge(long size, int maxBytes) {
    return "is " + size + " bytes; at most " + maxBytes + " are accepted";
  }

  private static ReadResult refuseType(Stat st) {
    return new ReadResult.Refused("is " + TreeIo.typePhrase(st) + "; wirt accepts only regular files");
  }

  private ReadResult refuseOpen(Fd dir, byte[] raw, String where, ErrnoException e) throws IOException {
    switch (e.errno()) {
      case ErrnoException.ENOENT -> {
        NoSuchFileException missing = new NoSuchFileException(where);
        missing.initCause(e);
        throw missing;
      }
      case ErrnoException.EACCES -> {
        return new ReadResult.Refused("cannot be read by " + identity.user()
            + " (EACCES); a command file must be readable by its owner");
      }
      case ErrnoException.ELOOP, ErrnoException.ENXIO -> {
        Stat now = TreeIo.statOrNull(dir, raw, where);
        if (now != null && !now.isRegular()) {
          return refuseType(now);
        }
        throw e;
      }
      default -> throw e;
    }
  }

  private boolean moveNoReplace(Fd from, byte[] raw, Fd to, String candidate, String where) throws IOException {
    byte[] target = Names.bytes(candidate);
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
        case ErrnoException.ENOENT -> {
          NoSuchFileException missing = new NoSuchFileException(where);
          missing.initCause(e);
          throw missing;
        }
        default -> throw e;
      }
    }
  }

  private void append(Fd dir, byte[] name, String where, byte[] line, long rotateAtBytes, int keep,
      NoteFormat note) throws IOException {
    Fd log;
    try {
      // O_NONBLOCK: a FIFO planted here fails (ENXIO) or is caught by the fstat below, never blocks.
      log = dir.openAt(name, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
          0600, where);
    } catch (ErrnoException e) {
      throw TreeIo.explain(dir, name, where, e, "regular file");
    }
    try (log) {
      Stat st = log.stat();
      String problem = problemWith(st);
      if (problem != null) {
        throw new IOException(where + " " + problem.replace("a command file", "a log file")
            + "; wirt does not write to it");
      }
      long size = st.size();
      String foreign = notWrittenByWirt(st, rotateAtBytes);
      if (foreign != null) {
        // Reading it would cost what the user chose (4 GiB of holes cost them nothing).
        log.truncate(0);
        LOG.warn("discarded log unread user={} path={} bytes={} allocated={} reason=\"{}\"",
            identity.user(), where, st.size(), st.allocatedBytes(), foreign);
        byte[] noteLine = note.line("wirt discarded " + st.size() + " bytes of " + where
            + ", which it did not write: " + foreign);
        writeLine(log, noteLine, 0, where);
        size = noteLine.length;
      }
      writeLine(log, line, size, where);
      if (size + line.length > rotateAtBytes) {
        try {
          rotate(dir, name, where, log, keep, size + line.length);
        } catch (IOException e) {
          LOG.warn("cannot rotate log user={} path={}; the line is written, the next append tries "
              + "again: {}", identity.user(), where, e.getMessage());
        }
      }
    }
  }

  /**
   * Why the open log {@code st} cannot be what wirt's appends made (they rotate it once it passes
   * {@code rotateAtBytes}), so that it is discarded unread; null if it may be.
   */
  private static String notWrittenByWirt(Stat st, long rotateAtBytes) {
    if (st.size() > rotateAtBytes && st.allocatedBytes() < st.size() / SPARSE_RATIO) {
      return "it is sparse (" + st.allocatedBytes() + " of its bytes are on disk); wirt keeps a log "
          + "of up to " + maxLogBytes(rotateAtBytes) + " bytes that it wrote itself";
    }
    if (st.size() > maxLogBytes(rotateAtBytes)) {
      return "wirt rotates this log at " + rotateAtBytes + " bytes and keeps at most "
          + maxLogBytes(rotateAtBytes);
    }
    return null;
  }

  private static long maxLogBytes(long rotateAtBytes) {
    return rotateAtBytes > Long.MAX_VALUE / LOG_KEPT_ROTATIONS ? Long.MAX_VALUE
        : rotateAtBytes * LOG_KEPT_ROTATIONS;
  }

  /** One write of the whole line at the end; on failure the file is cut back to {@code size}. */
  private static void writeLine(Fd log, byte[] line, long size, String where) throws IOException {
    int written;
    try {
      written = log.write(line, 0, line.length);
    } catch (IOException e) {
      undo(log, size, e);
      throw e;
    }
    if (written != line.length) {
      IOException e = new IOException(where + ": short write of " + written + " of " + line.length
          + " bytes; the partial line was removed");
      undo(log, size, e);
      throw e;
    }
  }

  private static void undo(Fd log, long size, IOException failure) {
    try {
      log.truncate(size);
    } catch (IOException e) {
      failure.addSuppressed(e);
    }
  }

  /**
   * Moves the first {@code length} bytes of the live log (all that is known to be there) into
   * {@code .1.gz}, gzipped as they are read, and empties the live log.
   */
  private void rotate(Fd dir, byte[] name, String where, Fd log, int keep, long length) throws IOException {
    if (keep > 0) {
      String base = new String(name, StandardCharsets.UTF_8);
      for (int i = keep - 1; i >= 1; i--) {
        try {
          dir.renameAt(Names.bytes(base + "." + i + ".gz"), dir, Names.bytes(base + "." + (i + 1) + ".gz"), 0, where);
        } catch (ErrnoException e) {
          if (e.errno() != ErrnoException.ENOENT) {
            throw e;
          }
        }
      }
      Stat expected = log.stat();
      try (Fd in = dir.openAt(name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0, where)) {
        Stat st = in.stat();
        if (st.dev() != expected.dev() || st.ino() != expected.ino()) {
          throw new IOException(where + " was replaced while being rotated");
        }
        TreeIo.replaceFile(dir, Names.bytes(base + ".1.gz"), where + ".1.gz",
            out -> TreeIo.gzip(in, length, out));
      }
    }
    log.truncate(0);
    LOG.info("rotated log user={} path={} keep={}", identity.user(), where, keep);
  }

  private static Object[] newLocks(int n) {
    Object[] locks = new Object[n];
    Arrays.setAll(locks, i -> new Object());
    return locks;
  }
}
