package org.wirt.hostname;

import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * What inotify told about {@code command/domain/}, turned into scans on the host name thread: one
 * queued scan per user ({@code "user/"}) or name ({@code "user/label"}) however many events
 * arrive, so a flood of files costs a bounded queue; and which entries inotify saw closed or
 * renamed into place ({@code "user/label/entry"}), whose content is final.
 */
final class NameSignals {
  /** How many entries seen complete are remembered; past it, the sweep takes them once settled. */
  static final int MAX_COMPLETE = 10_000;

  private final BiConsumer<String, String> scan;
  private final Set<String> complete = ConcurrentHashMap.newKeySet();
  private final Set<String> queued = ConcurrentHashMap.newKeySet();
  private volatile ScheduledExecutorService thread;

  /** @param scan scans a user's names (label empty) or one name, on the host name thread */
  NameSignals(BiConsumer<String, String> scan) {
    this.scan = Objects.requireNonNull(scan, "scan");
  }

  void runOn(ScheduledExecutorService t) {
    this.thread = Objects.requireNonNull(t, "thread");
  }

  /** An event in {@code command/domain/} (label empty) or {@code command/domain/<label>/}. */
  void signal(String user, String label, String entry, boolean completed) {
    if (completed && !label.isEmpty() && complete.size() < MAX_COMPLETE) {
      complete.add(user + "/" + label + "/" + entry);
    }
    queue(user, label, Duration.ZERO);
  }

  /** Queues a scan after {@code delay}, unless one is queued already. */
  void queue(String user, String label, Duration delay) {
    ScheduledExecutorService t = thread;
    String key = user + "/" + label;
    if (t == null || !queued.add(key)) {
      return;
    }
    try {
      t.schedule(() -> {
        queued.remove(key);
        scan.accept(user, label);
      }, delay.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      queued.remove(key); // stopping
    }
  }

  boolean isComplete(String key) {
    return complete.contains(key);
  }

  /** The entry was taken: nothing more to remember of it. */
  void taken(String key) {
    complete.remove(key);
  }
}
