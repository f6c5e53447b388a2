package org.wirt.serve;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How many refusals of one user are recorded in full: a token bucket per user ({@code
 * refusalBurst} tokens, {@code refusalsPerMinute} added back a minute). A refusal without a token
 * is still moved to {@code rejected/}, but its history line, VM log line, audit line and mail are
 * only counted, by kind; once tokens are back, each kind becomes one summary line. A user's kinds
 * are at most {@link #KINDS}; past it, others fall into one "other refusals" kind, so the state per user is bounded.
 */
public final class RefusalBudget {
  static final int KINDS = 8;

  private final Clock clock;
  private final double perSecond;
  private final int burst;
  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

  /** What a refusal was about, for counting: the VM, the verb (or null: no verb), the reason. */
  record Kind(String vm, String verb, String reason) {
    Kind {
      Objects.requireNonNull(vm, "vm");
      Objects.requireNonNull(reason, "reason");
    }
  }

  /** Refusals of one kind that were not recorded: how many, since when. */
  record Summary(Kind kind, long count, Instant since) {}

  private static final class Bucket {
    double tokens;
    Instant refilled;
    final Map<Kind, Summary> suppressed = new LinkedHashMap<>();

    Bucket(double tokens, Instant now) {
      this.tokens = tokens;
      this.refilled = now;
    }
  }

  RefusalBudget(Clock clock, int perMinute, int burst) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.perSecond = perMinute / 60.0;
    this.burst = burst;
  }

  /** Takes a token for a refusal of {@code user}; false means: count it with {@link #suppress}. */
  boolean take(String user) {
    Bucket b = bucket(user);
    synchronized (b) {
      refill(b);
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return true;
      }
      return false;
    }
  }

  /** Counts a refusal that was not recorded. */
  void suppress(String user, Kind kind) {
    Bucket b = bucket(user);
    synchronized (b) {
      Kind k = b.suppressed.containsKey(kind) || b.suppressed.size() < KINDS - 1 ? kind
          : new Kind("-", null, "other refusals");
      Summary s = b.suppressed.get(k);
      b.suppressed.put(k, s == null ? new Summary(k, 1, clock.instant())
          : new Summary(k, s.count() + 1, s.since()));
    }
  }

  /**
   * Returns the summaries that may be recorded now, one token each, and forgets them; the rest
   * wait for more tokens.
   */
  List<Summary> due(String user) {
    Bucket b = buckets.get(user);
    if (b == null) {
      return List.of();
    }
    List<Summary> due = new ArrayList<>();
    synchronized (b) {
      if (b.suppressed.isEmpty()) {
        return List.of();
      }
      refill(b);
      for (var it = b.suppressed.values().iterator(); it.hasNext() && b.tokens >= 1; ) {
        due.add(it.next());
        it.remove();
        b.tokens -= 1;
      }
    }
    return due;
  }

  /** Returns how many refusals of the user wait to be summarised. */
  long suppressed(String user) {
    Bucket b = buckets.get(user);
    if (b == null) {
      return 0;
    }
    synchronized (b) {
      return b.suppressed.values().stream().mapToLong(Summary::count).sum();
    }
  }

  void forget(String user) {
    buckets.remove(user);
  }

  private Bucket bucket(String user) {
    return buckets.computeIfAbsent(user, u -> new Bucket(burst, clock.instant()));
  }

  private void refill(Bucket b) {
    Instant now = clock.instant();
    if (now.isAfter(b.refilled)) {
      double seconds = Duration.between(b.refilled, now).toNanos() / 1e9;
      b.tokens = Math.min(burst, b.tokens + seconds * perSecond);
      b.refilled = now;
    }
  }
}
