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

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.function.Predicate;
import java.util.zip.GZIPOutputStream;
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

  /** The entries of {@code command/vm/} except names starting with '.', as statx saw them. */
  public List<Entry> listVmDirectories() throws IOException {
    return run(root -> {
      try (Fd dir = TreeIo.walk(root, List.of("command", "vm"), rootWhere, false)) {
        return list(dir, name -> !name.startsWith("."));
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
   */
  public List<VmDirectory> scanVmDirectories(Predicate<EntryName> isVm) throws IOException {
    return run(root -> {
      try (Fd dir = TreeIo.walk(root, List.of("command", "vm"), rootWhere, false)) {
        List<VmDirectory> found = new ArrayList<>();
        for (Entry e : list(dir, name -> !name.startsWith("."))) {
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
   * The command entries of {@code command/vm/<vm>/}, oldest first (mtime, then name), without
   * writes in progress (SPEC 2).
   *
   * @throws IOException if {@code command/vm/<vm>} is a link or not a directory (it is not followed)
   */
  /**
   * Returns the {@code limit} first entries of {@code command/vm/<vm>/} by {@code order} (writes in
   * progress left out), and how many entries there are in all. Memory stays bounded by {@code
   * limit} however many entries a user puts there.
   */
  public Listing oldestCommands(String vm, int limit, Comparator<Entry> order) throws IOException {
    Names.component(vm, "VM name");
    return run(root -> {
      try (Fd dir = TreeIo.walk(root, List.of("command", "vm", vm), rootWhere, false)) {
        PriorityQueue<Entry> kept = new PriorityQueue<>(order.reversed());
        int[] total = {0};
        dir.forEachName(raw -> {
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
        return new Listing(oldest, total[0]);
      }
    });
  }

  /** What {@link #oldestCommands} found: the first entries, and the number of all of them. */
  public record Listing(List<Entry> oldest, int total) {}

  /** Returns whether {@code command/vm/<vm>/} holds anything but writes in progress. */
  public boolean hasCommands(String vm) throws IOException {
    Names.component(vm, "VM name");
    return run(root -> {
      try (Fd dir = TreeIo.walk(root, List.of("command", "vm", vm), rootWhere, false)) {
        return holdsCommands(dir);
      }
    });
  }

  private static boolean holdsCommands(Fd dir) throws IOException {
    boolean[] found = {false};
    dir.forEachName(raw -> {
      found[0] = !Names.ignored(new EntryName(raw));
      return !found[0];
    });
    return found[0];
  }

  public List<Entry> listCommands(String vm) throws IOException {
    Names.component(vm, "VM name");
    return run(root -> {
      try (Fd dir = TreeIo.walk(root, List.of("command", "vm", vm), rootWhere, false)) {
        return list(dir, name -> !Names.ignored(name));
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

  /**
   * Appends {@code line} to the log at {@code relativePath} with a single write (never half a
   * line); once the file exceeds {@code rotateAtBytes} it moves to {@code .1.gz}, older ones shift
   * up to {@code .<keep>.gz}, and the live file starts empty.
   *
   * @throws IOException if the file is not a regular file owned by the user with one link
   */
  public void appendLine(String relativePath, byte[] line, long rotateAtBytes, int keep) throws IOException {
    List<String> parts = Names.relative(relativePath);
    byte[] name = Names.bytes(parts.get(parts.size() - 1));
    String where = rootWhere + "/" + relativePath;
    run(root -> {
      try (Fd dir = TreeIo.walk(root, parts.subList(0, parts.size() - 1), rootWhere, true)) {
        synchronized (APPEND_LOCKS[Math.floorMod(Objects.hash(home, relativePath), APPEND_LOCKS.length)]) {
          append(dir, name, where, line, rotateAtBytes, keep);
        }
      }
      return null;
    });
  }

  /**
   * In {@code relativeDir}, keeps the {@code keep} newest regular files (by mtime, then name) whose
   * name ends with {@code suffix} and unlinks the others. A missing directory has nothing to prune.
   */
  public void pruneOldest(String relativeDir, String suffix, int keep) throws IOException {
    List<String> parts = Names.relative(relativeDir);
    run(root -> {
      Fd dir;
      try {
        dir = TreeIo.walk(root, parts, rootWhere, false);
      } catch (NoSuchFileException e) {
        return null;
      }
      try (dir) {
        List<Entry> files = new ArrayList<>(list(dir, n -> n.endsWith(suffix)));
        files.removeIf(e -> e.type() != EntryType.REGULAR);
        files.sort(OLDEST_FIRST.reversed());
        for (Entry old : files.subList(Math.min(keep, files.size()), files.size())) {
          try {
            dir.unlinkAt(old.name().raw(), 0, rootWhere + "/" + relativeDir + "/" + old.name().display());
          } catch (ErrnoException e) {
            if (e.errno() != ErrnoException.ENOENT) {
              throw e;
            }
          }
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

  private List<Entry> list(Fd dir, Predicate<EntryName> wanted) throws IOException {
    List<Entry> entries = new ArrayList<>();
    for (byte[] raw : dir.list()) {
      EntryName name = new EntryName(raw);
      if (!wanted.test(name)) {
        continue;
      }
      Stat st = TreeIo.statOrNull(dir, raw, dir.what() + "/" + name.display());
      if (st != null) {
        entries.add(new Entry(name, TreeIo.entryType(st), st.mtimeNanos(), st.size()));
      }
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
    byte[] buf = new byte[maxBytes + 1];
    int total = 0;
    while (total < buf.length) {
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

  private void append(Fd dir, byte[] name, String where, byte[] line, long rotateAtBytes, int keep)
      throws IOException {
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
      int written;
      try {
        written = log.write(line, 0, line.length);
      } catch (IOException e) {
        undo(log, st.size(), e);
        throw e;
      }
      if (written != line.length) {
        IOException e = new IOException(where + ": short write of " + written + " of " + line.length
            + " bytes; the partial line was removed");
        undo(log, st.size(), e);
        throw e;
      }
      if (st.size() + written > rotateAtBytes) {
        rotate(dir, name, where, log, keep);
      }
    }
  }

  private static void undo(Fd log, long size, IOException failure) {
    try {
      log.truncate(size);
    } catch (IOException e) {
      failure.addSuppressed(e);
    }
  }

  private void rotate(Fd dir, byte[] name, String where, Fd log, int keep) throws IOException {
    if (keep > 0) {
      byte[] content = readAll(dir, name, where, log.stat());
      String base = new String(name, java.nio.charset.StandardCharsets.UTF_8);
      for (int i = keep - 1; i >= 1; i--) {
        try {
          dir.renameAt(Names.bytes(base + "." + i + ".gz"), dir, Names.bytes(base + "." + (i + 1) + ".gz"), 0, where);
        } catch (ErrnoException e) {
          if (e.errno() != ErrnoException.ENOENT) {
            throw e;
          }
        }
      }
      TreeIo.replaceFile(dir, Names.bytes(base + ".1.gz"), gzip(content), where + ".1.gz");
    }
    log.truncate(0);
    LOG.info("rotated log user={} path={} keep={}", identity.user(), where, keep);
  }

  /** The live log's bytes, read through a second descriptor proven to be the same file. */
  private static byte[] readAll(Fd dir, byte[] name, String where, Stat expected) throws IOException {
    try (Fd in = dir.openAt(name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0, where)) {
      Stat st = in.stat();
      if (st.dev() != expected.dev() || st.ino() != expected.ino()) {
        throw new IOException(where + " was replaced while being rotated");
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(st.size(), 1 << 24));
      byte[] buf = new byte[65536];
      for (int n = in.read(buf, 0, buf.length); n > 0; n = in.read(buf, 0, buf.length)) {
        out.write(buf, 0, n);
      }
      return out.toByteArray();
    }
  }

  private static byte[] gzip(byte[] content) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(content);
    }
    return out.toByteArray();
  }

  private static Object[] newLocks(int n) {
    Object[] locks = new Object[n];
    Arrays.setAll(locks, i -> new Object());
    return locks;
  }
}
