package org.wirt.serve;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.queue.Scheduler;
import org.wirt.queue.VmKey;
import org.wirt.tree.Entry;
import org.wirt.tree.EntryName;
import org.wirt.tree.EntryType;
import org.wirt.tree.HomeTree;
import org.wirt.tree.LegacyTree;

/**
 * Which of a VM's command files is served next (SPEC 4): oldest first by modification time, a time
 * in the future counting as now, ties by name. A file still being written waits until it settles.
 * Each VM's listing is kept, sorted, between turns, and read again when inotify says the
 * directory changed.
 */
final class Backlogs {
  private static final Logger log = LoggerFactory.getLogger(Backlogs.class);

  /**
   * How long a regular file nobody announced as complete must stay unchanged before it is taken:
   * a file that was created but not yet closed may still be being written.
   */
  static final Duration SETTLE = Duration.ofSeconds(2);

  /** How many entries of one directory are kept sorted between listings. */
  static final int BACKLOG = 512;

  private final Scheduler scheduler;
  private final Clock clock;
  private final ScheduledExecutorService timer;
  private final Map<VmKey, Backlog> backlogs = new ConcurrentHashMap<>();

  /** What a VM's last listing found, oldest first, and which names inotify said are complete. */
  private static final class Backlog {
    final ArrayDeque<Item> pending = new ArrayDeque<>();
    final Set<EntryName> complete = new HashSet<>();
    boolean truncated;
  }

  /**
   * The entry to serve now, or null if none may be served yet.
   *
   * @param more whether the VM may have more commands
   */
  record Next(Entry entry, boolean more, LegacyTree legacy) {
    Next(Entry entry, boolean more) {
      this(entry, more, null);
    }
  }

  /** An entry of {@code command/vm/<vm>/}, or with {@code legacy} of {@code ~/virsh/dom-<vm>/}. */
  private record Item(Entry entry, LegacyTree legacy) {}

  Backlogs(Scheduler scheduler, Clock clock, ScheduledExecutorService timer) {
    this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.timer = Objects.requireNonNull(timer, "timer");
  }

  /** Notes that inotify saw this entry closed or renamed into place: its content is final. */
  void complete(VmKey key, EntryName name) {
    Backlog b = backlogs.computeIfAbsent(key, k -> new Backlog());
    synchronized (b) {
      if (b.complete.size() < 4 * BACKLOG) {
        b.complete.add(name);
      }
    }
  }

  /**
   * Takes the VM's next entry, listing its directory again if it changed or nothing is left.
   *
   * @throws IOException if the directory cannot be listed (then nothing is kept of it)
   */
  Next next(HomeTree tree, VmKey key) throws IOException {
    Backlog backlog = backlogs.computeIfAbsent(key, k -> new Backlog());
    try {
      synchronized (backlog) {
        if (scheduler.takeDirty(key) || backlog.pending.isEmpty()) {
          relist(tree, key.vm(), backlog);
        }
        Item item = take(key, backlog);
        return new Next(item == null ? null : item.entry(),
            !backlog.pending.isEmpty() || backlog.truncated, item == null ? null : item.legacy());
      }
    } catch (IOException e) {
      backlogs.remove(key);
      throw e;
    }
  }

  /** Lists the VM's directories again before its next entry is taken. */
  void relistNext(VmKey key) {
    Backlog b = backlogs.get(key);
    if (b != null) {
      synchronized (b) {
        b.pending.clear();
      }
    }
  }

  /** Forgets the VM (its user left the group). */
  void forget(VmKey key) {
    backlogs.remove(key);
  }

  private void relist(HomeTree tree, String vm, Backlog backlog) throws IOException {
    long now = nanos(clock.instant());
    // Oldest first by modification time; a time in the future counts as now; ties by name.
    Comparator<Entry> order = Comparator.<Entry>comparingLong(e -> Math.min(e.mtimeNanos(), now))
        .thenComparing((a, b) -> Arrays.compareUnsigned(a.name().raw(), b.name().raw()));
    Optional<LegacyTree> legacy = tree.legacy();
    if (legacy.isEmpty()) {
      HomeTree.Listing listing = tree.oldestCommands(vm, BACKLOG, order);
      backlog.pending.clear();
      listing.oldest().forEach(e -> backlog.pending.add(new Item(e, null)));
      backlog.truncated = listing.total() > BACKLOG || listing.capped();
      return;
    }
    relistBoth(tree, legacy.get(), vm, backlog, order);
  }

  /**
   * Lists {@code command/vm/<vm>/} and {@code ~/virsh/dom-<vm>/} as one VM's commands (issue 15):
   * one order across both, so the oldest file is served first wherever it is. Either directory
   * may be missing; the VM's directory in the tree is missing until wirtd makes it.
   */
  private void relistBoth(HomeTree tree, LegacyTree legacy, String vm, Backlog backlog,
      Comparator<Entry> order) throws IOException {
    // ~/virsh first: a file migrate-tree moves into the tree meanwhile is then on one listing or
    // both (the one gone is found so when taken), never on neither.
    HomeTree.Listing old;
    IOException oldMissing = null;
    try {
      old = legacy.oldestCommands(vm, BACKLOG, order);
    } catch (IOException e) {
      // A dom- link or a missing directory: the scan says why, once; nothing is served there.
      log.debug("cannot list user={} dir={}/{}{}", tree.identity().user(), legacy.where(),
          LegacyTree.PREFIX, vm, e);
      oldMissing = e;
      old = new HomeTree.Listing(List.of(), 0, false);
    }
    HomeTree.Listing main;
    try {
      main = tree.oldestCommands(vm, BACKLOG, order);
    } catch (NoSuchFileException e) {
      if (oldMissing != null) {
        throw e;
      }
      main = new HomeTree.Listing(List.of(), 0, false);
    }
    List<Item> merged = new ArrayList<>(main.oldest().size() + old.oldest().size());
    main.oldest().forEach(e -> merged.add(new Item(e, null)));
    old.oldest().forEach(e -> merged.add(new Item(e, legacy)));
    merged.sort(Comparator.comparing(Item::entry, order));
    backlog.pending.clear();
    backlog.pending.addAll(merged.subList(0, Math.min(BACKLOG, merged.size())));
    backlog.truncated = main.total() + old.total() > BACKLOG || main.capped() || old.capped();
  }

  /** Takes the first entry that may be served now, or null; defers files still being written. */
  private Item take(VmKey key, Backlog backlog) {
    long now = nanos(clock.instant());
    boolean deferred = false;
    for (Iterator<Item> it = backlog.pending.iterator(); it.hasNext(); ) {
      Item item = it.next();
      Entry e = item.entry();
      long age = now - e.mtimeNanos();
      // A time in the future counts as now for ordering, but must not defer the file forever.
      boolean young = age >= 0 && age < SETTLE.toNanos();
      if (e.type() == EntryType.REGULAR && young && !backlog.complete.contains(e.name())) {
        deferred = true;
        continue;
      }
      it.remove();
      backlog.complete.remove(e.name());
      return item;
    }
    if (deferred) {
      timer.schedule(() -> scheduler.signal(key), SETTLE.toMillis(), TimeUnit.MILLISECONDS);
    }
    return null;
  }

  static long nanos(Instant t) {
    return t.getEpochSecond() * 1_000_000_000L + t.getNano();
  }
}
