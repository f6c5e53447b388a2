package org.wirt.serve;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.wirt.queue.Scheduler;
import org.wirt.queue.VmKey;
import org.wirt.tree.Entry;
import org.wirt.tree.EntryName;
import org.wirt.tree.EntryType;
import org.wirt.tree.HomeTree;

/**
 * Which of a VM's command files is served next (SPEC 4): oldest first by modification time, a time
 * in the future counting as now, ties by name. A file still being written waits until it settles.
 * Each VM's listing is kept, sorted, between turns, and read again when inotify says the
 * directory changed.
 */
final class Backlogs {
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
    final ArrayDeque<Entry> pending = new ArrayDeque<>();
    final Set<EntryName> complete = new HashSet<>();
    boolean truncated;
  }

  /**
   * The entry to serve now, or null if none may be served yet.
   *
   * @param more whether the VM may have more commands
   */
  record Next(Entry entry, boolean more) {}

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
        Entry entry = take(key, backlog);
        return new Next(entry, !backlog.pending.isEmpty() || backlog.truncated);
      }
    } catch (IOException e) {
      backlogs.remove(key);
      throw e;
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
    HomeTree.Listing listing = tree.oldestCommands(vm, BACKLOG, order);
    backlog.pending.clear();
    backlog.pending.addAll(listing.oldest());
    backlog.truncated = listing.total() > BACKLOG || listing.capped();
  }

  /** Takes the first entry that may be served now, or null; defers files still being written. */
  private Entry take(VmKey key, Backlog backlog) {
    long now = nanos(clock.instant());
    boolean deferred = false;
    for (Iterator<Entry> it = backlog.pending.iterator(); it.hasNext(); ) {
      Entry e = it.next();
      long age = now - e.mtimeNanos();
      // A time in the future counts as now for ordering, but must not defer the file forever.
      boolean young = age >= 0 && age < SETTLE.toNanos();
      if (e.type() == EntryType.REGULAR && young && !backlog.complete.contains(e.name())) {
        deferred = true;
        continue;
      }
      it.remove();
      backlog.complete.remove(e.name());
      return e;
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
