package org.wirt.tree;

import static org.wirt.posix.Fd.O_CLOEXEC;
import static org.wirt.posix.Fd.O_DIRECTORY;
import static org.wirt.posix.Fd.O_NOFOLLOW;
import static org.wirt.posix.Fd.O_RDONLY;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
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
 *
 * <p>This class is the core (identity switch, root, skeleton, generic writes, watches) and the one
 * public face of the tree; the command-directory protocol is in {@link CommandDirectory}, {@code
 * rejected/} in {@link RejectedEntries} and the logs in {@link LogFiles}, to which it delegates.
 */
public final class HomeTree {
  private static final Logger LOG = LoggerFactory.getLogger(HomeTree.class);

  /**
   * How many names of {@code command/vm/} one listing looks at. A user has a directory per VM they
   * own or create; a user who makes 500,000 costs each listing this many, and any VM of theirs the
   * listing did not reach is looked up by name ({@link #scanVmDirectories}).
   */
  public static final int MAX_VM_DIRECTORIES = CommandDirectory.MAX_VM_DIRECTORIES;

  /**
   * How many names of one VM's command directory a listing looks at: the commands beyond them (in
   * the order the file system lists them) wait until those before them are taken.
   */
  public static final int MAX_COMMANDS_INSPECTED = CommandDirectory.MAX_COMMANDS_INSPECTED;

  /** How many names one {@link #pruneOldest} looks at, however many the directory holds. */
  public static final int MAX_PRUNE_INSPECTED = CommandDirectory.MAX_PRUNE_INSPECTED;

  /**
   * A log larger than this many times its rotation size, or sparse, was not written by wirt's
   * appends alone: it is discarded unread (see {@link #appendLine}).
   */
  public static final int LOG_KEPT_ROTATIONS = LogFiles.KEPT_ROTATIONS;

  private final Identity identity;
  private final Path home;
  private final List<String> treeDir;
  private final String rootWhere;
  private final Clock clock;
  private final CommandDirectory commands;
  private final RejectedEntries rejected;
  private final LogFiles logs;
  private final LegacyTree legacy;
  private final DomainDirectory domains;

  /** The tree {@code home/treeDir} of {@code identity}; rejected entries are stamped in UTC. */
  public HomeTree(Identity identity, Path home, String treeDir) {
    this(identity, home, treeDir, Clock.systemUTC());
  }

  /** As {@link #HomeTree(Identity, Path, String)}, with the clock that stamps rejected entries. */
  public HomeTree(Identity identity, Path home, String treeDir, Clock clock) {
    this(identity, home, treeDir, clock, null);
  }

  /**
   * As {@link #HomeTree(Identity, Path, String, Clock)}, also serving the old cron script's
   * {@code home/legacyDir/dom-<vm>/} ({@link LegacyTree}) unless {@code legacyDir} is null.
   */
  public HomeTree(Identity identity, Path home, String treeDir, Clock clock, String legacyDir) {
    this.identity = Objects.requireNonNull(identity, "identity");
    this.home = Objects.requireNonNull(home, "home");
    this.treeDir = TreeNames.relative(treeDir);
    this.clock = Objects.requireNonNull(clock, "clock");
    this.rootWhere = "~" + identity.user() + "/" + treeDir;
    this.commands = new CommandDirectory(this);
    this.rejected = new RejectedEntries(this);
    this.logs = new LogFiles(this);
    this.legacy = legacyDir == null ? null : new LegacyTree(this, legacyDir);
    this.domains = new DomainDirectory(this);
  }

  /** The old {@code ~/virsh} layout of this home, if wirtd serves it ({@code legacyTreeDir}). */
  public Optional<LegacyTree> legacy() {
    return Optional.ofNullable(legacy);
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
      LOG.debug("tree not usable user={}", identity.user(), e);
      return false;
    }
  }

  /**
   * Creates what is missing of {@code command/vm/<vm>/}, {@code info/vm/<vm>/}, {@code logs/vm/},
   * {@code command/domain/}, {@code info/domain/}, {@code logs/domain/} and {@code rejected/} (0700, owned by the user), replacing any link or file found where one of
   * these directories belongs. The tree root itself must exist.
   */
  public void ensureSkeleton(Collection<String> vms) throws IOException {
    vms.forEach(vm -> TreeNames.component(vm, "VM name"));
    run(root -> {
      for (String top : List.of("command", "info")) {
        try (Fd dir = ensure(root, rootWhere, top); Fd vmDir = ensure(dir, rootWhere + "/" + top, "vm")) {
          for (String vm : vms) {
            ensureLeaf(vmDir, rootWhere + "/" + top + "/vm", vm);
          }
          ensureLeaf(dir, rootWhere + "/" + top, "domain");
        }
      }
      try (Fd logsDir = ensure(root, rootWhere, "logs")) {
        ensureLeaf(logsDir, rootWhere + "/logs", "vm");
        ensureLeaf(logsDir, rootWhere + "/logs", "domain");
      }
      ensureLeaf(root, rootWhere, "rejected");
      return null;
    });
  }

  /**
   * The entries of {@code command/vm/} except names starting with '.', as statx saw them: at most
   * those among the first {@link #MAX_VM_DIRECTORIES} names listed.
   */
  public List<Entry> listVmDirectories() throws IOException {
    return commands.listVmDirectories();
  }

  /**
   * An entry of {@code command/vm/}; if it is a VM directory, whether it holds commands and
   * whether it holds a {@code settings.json} (of any type: what it is, is checked when read).
   */
  public record VmDirectory(Entry entry, boolean hasCommands, boolean hasSettings) {
    public VmDirectory(Entry entry, boolean hasCommands) {
      this(entry, hasCommands, false);
    }
  }

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
    return commands.scanVmDirectories(isVm, owned);
  }

  /**
   * Returns the {@code limit} first entries of {@code command/vm/<vm>/} by {@code order} (writes in
   * progress left out) among its first {@link #MAX_COMMANDS_INSPECTED} names, and how many
   * entries there are among those. Memory stays bounded by {@code limit}, and time by the cap,
   * however many entries a user puts there.
   */
  public Listing oldestCommands(String vm, int limit, Comparator<Entry> order) throws IOException {
    return commands.oldestCommands(vm, limit, order);
  }

  /**
   * What {@link #oldestCommands} found: the first entries, the number of entries it looked at, and
   * whether there were names beyond {@link #MAX_COMMANDS_INSPECTED} it did not look at.
   */
  public record Listing(List<Entry> oldest, int total, boolean capped) {}

  /**
   * Returns whether {@code command/vm/<vm>/} holds anything but writes in progress; true also when
   * its first {@link #MAX_COMMANDS_INSPECTED} names are all writes in progress (there may be more).
   */
  public boolean hasCommands(String vm) throws IOException {
    return commands.hasCommands(vm);
  }

  /**
   * The command entries of {@code command/vm/<vm>/} (writes in progress left out) among its first
   * 4,096 names, oldest first; wirtd itself uses {@link #oldestCommands}.
   */
  public List<Entry> listCommands(String vm) throws IOException {
    return commands.listCommands(vm);
  }

  /**
   * Reads the command file {@code command/vm/<vm>/<name>} if it is a regular file owned by the
   * user with one link and at most {@code maxBytes} bytes; otherwise says why not, without reading.
   *
   * @throws NoSuchFileException if the entry vanished
   */
  public ReadResult readCommand(String vm, EntryName name, int maxBytes) throws IOException {
    return commands.readCommand(vm, name, maxBytes);
  }

  /**
   * The desired-settings file of a VM's command directory, {@code command/vm/<vm>/settings.json}:
   * never listed as a command, never moved to {@code rejected/}.
   */
  public static final String SETTINGS_FILE = TreeNames.SETTINGS;

  /**
   * Reads {@code command/vm/<vm>/settings.json} by the rules of {@link #readCommand}: as the user,
   * without following a link, a regular file with one link and at most {@code maxBytes} bytes.
   * Nothing is ever removed or moved.
   *
   * @throws NoSuchFileException if there is no such file (or no such directory)
   */
  public ReadResult readSettings(String vm, int maxBytes) throws IOException {
    return commands.readCommand(vm, EntryName.of(SETTINGS_FILE), maxBytes);
  }

  /**
   * Unlinks {@code command/vm/<vm>/<name>} if it is still the file described by {@code expected}
   * (same device and inode); returns false if it is gone or was replaced.
   */
  public boolean removeCommand(String vm, EntryName name, FileFacts expected) throws IOException {
    if (commands.removeCommand(vm, name, expected)) {
      return true;
    }
    // A claim names the file, not its directory: after a crash, the claimed file may be one of
    // the old layout's. Same device and inode, so it is the claimed file or nothing.
    return legacy != null && legacy.removeCommand(vm, name, expected);
  }

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
    commands.pruneOldest(relativeDir, suffix, keep);
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
    return rejected.reject(vm, name);
  }

  /**
   * Keeps the {@code keep} newest entries of {@code rejected/} (by modification time) and removes
   * the others, a refused directory with its content ({@link RejectedPruner}).
   *
   * @return how many entries were removed
   */
  public int pruneRejected(int keep) throws IOException {
    return rejected.prune(keep);
  }

  /**
   * The entries of {@code command/domain/} (host names) except names starting with '.', oldest
   * first, among its first {@link #MAX_VM_DIRECTORIES} names.
   */
  public List<Entry> listDomainNames() throws IOException {
    return domains.listNames();
  }

  /**
   * The {@code limit} oldest commands of {@code command/domain/<name>/} (writes in progress left
   * out) among its first {@link #MAX_COMMANDS_INSPECTED} names.
   */
  public List<Entry> oldestDomainCommands(String name, int limit) throws IOException {
    return domains.oldestCommands(name, limit);
  }

  /** As {@link #readCommand}, for {@code command/domain/<name>/<entry>}. */
  public ReadResult readDomainCommand(String name, EntryName entry, int maxBytes)
      throws IOException {
    return domains.read(name, entry, maxBytes);
  }

  /** As {@link #removeCommand}, for {@code command/domain/<name>/<entry>}. */
  public boolean removeDomainCommand(String name, EntryName entry, FileFacts expected)
      throws IOException {
    return domains.remove(name, entry, expected);
  }

  /**
   * As {@link #reject}, for {@code command/domain/<name>/<entry>} (or, with {@code name} null, the
   * entry {@code command/domain/<entry>}); the name in {@code rejected/} starts {@code domain.}.
   */
  public String rejectDomainEntry(String name, EntryName entry) throws IOException {
    List<String> source = name == null ? DomainDirectory.DIR : List.of("command", "domain", name);
    return rejected.rejectFrom(source, "domain." + (name == null ? "" : name + "."), entry);
  }

  /** Turns wirt's note that it discarded a log into a line of that log's format. */
  @FunctionalInterface
  public interface NoteFormat {
    byte[] line(String note);
  }

  /** A note as a line of text. */
  public static final NoteFormat PLAIN_NOTE = note -> (note + "\n").getBytes(StandardCharsets.UTF_8);

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
    logs.appendLine(relativePath, line, rotateAtBytes, keep, note);
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
      TreeNames.component(dir, "directory name");
    }
    TreeNames.component(name, "file name");
    byte[] raw = TreeNames.bytes(name);
    String homeWhere = "~" + identity.user();
    String where = homeWhere + "/" + String.join("/", dirs) + "/" + name;
    try (FsIdentity.Scope scope = assume(); Fd home = openHome();
        Fd dir = TreeIo.walk(home, dirs, homeWhere, false)) {
      return RegularFiles.read(dir, raw, where, maxBytes, identity);
    }
  }

  /**
   * Replaces the file at {@code relativePath} (e.g. {@code info/vm/web/status.json}) with
   * {@code content} through a temporary file and a rename; missing parent directories are created.
   *
   * @throws IOException if a parent component is a link or not a directory (nothing is written)
   */
  public void writeFile(String relativePath, byte[] content) throws IOException {
    List<String> parts = TreeNames.relative(relativePath);
    String name = parts.get(parts.size() - 1);
    run(root -> {
      try (Fd dir = TreeIo.walk(root, parts.subList(0, parts.size() - 1), rootWhere, true)) {
        TreeIo.replaceFile(dir, TreeNames.bytes(name), content, rootWhere + "/" + relativePath);
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
    List<String> parts = TreeNames.relative(relativePath);
    String name = parts.get(parts.size() - 1);
    String where = rootWhere + "/" + relativePath;
    run(root -> {
      try (Fd dir = TreeIo.walk(root, parts.subList(0, parts.size() - 1), rootWhere, false)) {
        dir.touchAt(TreeNames.bytes(name), where);
      } catch (ErrnoException e) {
        if (e.errno() == ErrnoException.ENOENT) {
          throw TreeIo.missing(where, e);
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
    List<String> parts = TreeNames.relative(relativePath);
    String name = parts.get(parts.size() - 1);
    run(root -> {
      try (Fd dir = TreeIo.walk(root, parts.subList(0, parts.size() - 1), rootWhere, false)) {
        dir.unlinkAt(TreeNames.bytes(name), 0, rootWhere + "/" + relativePath);
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
   * Watches the directory {@code relativeDir} of the tree. The directory is opened without
   * following links and the watch is put on that open descriptor ({@code /proc/self/fd/N}), so a
   * link swapped in cannot redirect it.
   *
   * @return the watch descriptor
   */
  public int addWatch(Inotify inotify, String relativeDir, int mask) throws IOException {
    List<String> parts = TreeNames.relative(relativeDir);
    return run(root -> {
      try (Fd dir = TreeIo.walk(root, parts, rootWhere, false)) {
        // Not IN_DONT_FOLLOW: /proc/self/fd/N is itself a link, to exactly the directory opened.
        return inotify.addWatch("/proc/self/fd/" + dir.number(), mask | Inotify.IN_ONLYDIR);
      }
    });
  }

  /** The work of one method, given the tree root opened as the user. */
  interface TreeAction<T> {
    T run(Fd root) throws IOException;
  }

  /** {@code ~user/treeDir}: how messages name the tree root. */
  String where() {
    return rootWhere;
  }

  Path home() {
    return home;
  }

  Clock clock() {
    return clock;
  }

  RejectedEntries rejectedEntries() {
    return rejected;
  }

  List<String> treeDir() {
    return treeDir;
  }

  /** Thrown when the tree root is there but is not the user's directory. */
  private static final class NotTheUsersException extends IOException {
    private static final long serialVersionUID = 1L;

    NotTheUsersException(String message) {
      super(message);
    }
  }

  /**
   * Runs {@code action} as the user on the tree root, opened afresh: the building block of every
   * method here and of {@link CommandDirectory}, {@link RejectedEntries} and {@link LogFiles}.
   */
  <T> T run(TreeAction<T> action) throws IOException {
    try (FsIdentity.Scope scope = assume(); Fd root = openRoot()) {
      return action.run(root);
    }
  }

  FsIdentity.Scope assume() throws IOException {
    return FsIdentity.assume(identity.uid(), identity.gid(), identity.groups());
  }

  /** The home may be followed (it comes from NSS or the admin); nothing below it is. */
  Fd openRoot() throws IOException {
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

  Fd openHome() throws IOException {
    try {
      return Fd.open(home.toString(), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    } catch (ErrnoException e) {
      if (e.errno() == ErrnoException.ENOENT) {
        throw TreeIo.missing("~" + identity.user() + " (" + home + ")", e);
      }
      throw e;
    }
  }

  /** Opens the directory {@code name} of {@code parent}, made or repaired as the user's. */
  Fd ensure(Fd parent, String parentWhere, String name) throws IOException {
    return TreeIo.ensureDir(parent, name, parentWhere + "/" + name, identity.user());
  }

  /** As {@link #ensure}, for a directory not gone into now: nothing is opened. */
  void ensureLeaf(Fd parent, String parentWhere, String name) throws IOException {
    TreeIo.ensureLeaf(parent, name, parentWhere + "/" + name, identity.user());
  }
}
