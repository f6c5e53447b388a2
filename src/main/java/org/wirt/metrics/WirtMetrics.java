package org.wirt.metrics;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Pattern;
import org.wirt.command.Verb;

/**
 * wirtd's own counters, updated where things happen (a command recorded, an entry refused, libvirt
 * reconnected) and read by the textfile writer ({@link Exposition}). Thread-safe without locks.
 *
 * <p>Memory is bounded whatever users write: a label is a verb of {@link Verb} or {@value #OTHER},
 * and a result one of the few that {@code status.Result} spells, so at most a few hundred series
 * exist however many files users make.
 */
public final class WirtMetrics {
  /** The label of a name that is no verb. */
  public static final String OTHER = "other";

  /**
   * Upper bounds of the latency buckets, in seconds: from inotify's few milliseconds to a create
   * that copies a disk.
   */
  static final double[] LATENCY_BUCKETS = {
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600};

  private static final Pattern RESULT = Pattern.compile("[a-z]{1,16}");

  /** A verb and a result, the labels of {@code wirt_commands_total}. */
  record CommandKey(String verb, String result) {}

  private final Map<CommandKey, LongAdder> commands = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> refusals = new ConcurrentHashMap<>();
  private final LongAdder reconnects = new LongAdder();
  private final Histogram latency = new Histogram(LATENCY_BUCKETS);

  /**
   * A claimed command's outcome was recorded.
   *
   * @param verb the verb as a file spells it ({@code snapshot-delete})
   * @param result the result as {@code history.log} spells it ({@code ok}, {@code failed}...)
   */
  public void commandRecorded(String verb, String result) {
    Objects.requireNonNull(result, "result");
    if (!RESULT.matcher(result).matches()) {
      throw new IllegalArgumentException("not a result: " + result);
    }
    commands.computeIfAbsent(new CommandKey(label(verb), result), k -> new LongAdder()).increment();
  }

  /** A command took this long from its file's modification to its recorded outcome. */
  public void commandLatency(Duration fileToRecord) {
    Objects.requireNonNull(fileToRecord, "fileToRecord");
    // A file dated in the future (a clock set back, touch -d) counts as written now.
    latency.observe(Math.max(0, fileToRecord.toNanos()) / 1e9);
  }

  /** An entry was refused (moved to {@code rejected/}), whether recorded in full or counted. */
  public void refused(String verb) {
    refusals.computeIfAbsent(label(verb), k -> new LongAdder()).increment();
  }

  /** The connection to libvirt was lost and made again. */
  public void reconnected() {
    reconnects.increment();
  }

  /** Commands recorded so far, by verb and result, in a stable order. */
  Map<CommandKey, Long> commands() {
    Map<CommandKey, Long> copy = new TreeMap<>(
        (a, b) -> a.verb().equals(b.verb()) ? a.result().compareTo(b.result())
            : a.verb().compareTo(b.verb()));
    commands.forEach((k, v) -> copy.put(k, v.sum()));
    return copy;
  }

  /** Refusals so far, by verb, in a stable order. */
  Map<String, Long> refusals() {
    Map<String, Long> copy = new TreeMap<>();
    refusals.forEach((k, v) -> copy.put(k, v.sum()));
    return copy;
  }

  long reconnects() {
    return reconnects.sum();
  }

  Histogram.Snapshot latency() {
    return latency.snapshot();
  }

  private static String label(String verb) {
    return verb != null && Verb.fromFileName(verb).isPresent() ? verb : OTHER;
  }

  /** A Prometheus histogram: counts per bucket, kept apart, made cumulative when read. */
  static final class Histogram {
    private final double[] bounds;
    private final LongAdder[] counts;
    private final DoubleAdder sum = new DoubleAdder();

    /** A reading: the cumulative count up to each bound, then +Inf (the count), and the sum. */
    record Snapshot(double[] bounds, long[] cumulative, double sum) {
      long count() {
        return cumulative[cumulative.length - 1];
      }
    }

    Histogram(double[] bounds) {
      for (int i = 1; i < bounds.length; i++) {
        if (!(bounds[i] > bounds[i - 1])) {
          throw new IllegalArgumentException("bucket bounds must increase: " + bounds[i]);
        }
      }
      this.bounds = bounds.clone();
      this.counts = new LongAdder[bounds.length + 1];
      for (int i = 0; i < counts.length; i++) {
        counts[i] = new LongAdder();
      }
    }

    void observe(double value) {
      int i = 0;
      while (i < bounds.length && value > bounds[i]) {
        i++;
      }
      counts[i].increment();
      sum.add(value);
    }

    Snapshot snapshot() {
      long[] cumulative = new long[counts.length];
      long running = 0;
      for (int i = 0; i < counts.length; i++) {
        // Each bucket is read once, so the +Inf bucket (the count) is their sum whatever is
        // observed meanwhile: a scrape never sees a bucket above the count.
        running += counts[i].sum();
        cumulative[i] = running;
      }
      return new Snapshot(bounds.clone(), cumulative, sum.sum());
    }
  }
}
