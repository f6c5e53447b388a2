package org.wirt.serve;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.command.Names;
import org.wirt.command.Verb;
import org.wirt.metrics.WirtMetrics;
import org.wirt.status.Outcome;
import org.wirt.status.Result;
import org.wirt.status.StatusKeeper;
import org.wirt.tree.EntryName;
import org.wirt.tree.HomeTree;
import org.wirt.tree.LegacyTree;

/**
 * Refuses an entry (SPEC 7): moves it to {@code rejected/} and records why. A user's refusals are
 * recorded in full at a bounded rate ({@link RefusalBudget}); past it they are summarised, one line
 * per kind ("312 more refusals of the same kind ... since 14:05 UTC"). {@code rejected/} keeps the
 * newest {@code rejectedKept} entries.
 */
public final class Rejector {
  private static final Logger log = LoggerFactory.getLogger(Rejector.class);
  private static final DateTimeFormatter HOUR_MINUTE =
      DateTimeFormatter.ofPattern("HH:mm").withZone(ZoneOffset.UTC);

  private final StatusKeeper statuses;
  private final Clock clock;
  private final RefusalBudget budget;
  private final int rejectedKept;
  private final int perMinute;
  private final WirtMetrics metrics;
  /** Refusals moved since the user's {@code rejected/} was last pruned; absent: never pruned. */
  private final Map<String, AtomicInteger> sincePruned = new ConcurrentHashMap<>();

  /**
   * @param refusalsPerMinute how many of a user's refusals are recorded in full, a minute
   *     ({@code limits.refusalsPerMinute}), after a burst of {@code refusalBurst}
   * @param rejectedKept how many entries {@code rejected/} keeps ({@code limits.rejectedKept})
   * @param metrics counts every refusal, recorded in full or summarised
   */
  public Rejector(StatusKeeper statuses, Clock clock, int refusalsPerMinute, int refusalBurst,
      int rejectedKept, WirtMetrics metrics) {
    this.statuses = Objects.requireNonNull(statuses, "statuses");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.budget = new RefusalBudget(clock, refusalsPerMinute, refusalBurst);
    this.rejectedKept = rejectedKept;
    this.perMinute = refusalsPerMinute;
    this.metrics = Objects.requireNonNull(metrics, "metrics");
  }

  /**
   * Refuses {@code command/vm/<vm>/<name>}, or with a null {@code vm} the entry {@code
   * command/vm/<name>} itself.
   */
  void reject(HomeTree tree, String vm, EntryName name, String problem, Instant started) {
    reject(tree, null, vm, name, problem, started);
  }

  /**
   * As {@link #reject(HomeTree, String, EntryName, String, Instant)}, for {@code
   * ~/virsh/dom-<vm>/<name>} of the old layout if {@code legacy} is not null: moved to the tree's
   * {@code rejected/} and recorded in the tree.
   */
  void reject(HomeTree tree, LegacyTree legacy, String vm, EntryName name, String problem,
      Instant started) {
    String user = tree.identity().user();
    String where = legacy != null ? legacy.where(vm, name)
        : vm == null
        ? "command/vm/" + name.display()
        : "command/vm/" + vm + "/" + name.display();
    String message = where + ": " + problem;
    try {
      message += " (moved to rejected/"
          + (legacy != null ? legacy.reject(vm, name) : tree.reject(vm, name)) + ")";
    } catch (NoSuchFileException e) {
      return;
    } catch (IOException e) {
      log.warn("cannot move refused entry user={} entry={}", user, where, e);
    }
    prune(tree);
    String verb;
    String tag = null;
    if (vm == null) {
      verb = "-";
    } else {
      String text = name.text().orElse(name.display());
      int dot = text.indexOf('.');
      verb = dot < 0 ? text : text.substring(0, dot);
      if (dot >= 0 && Names.isTag(text.substring(dot + 1))) {
        tag = text.substring(dot + 1);
      }
    }
    String recordedVm = vm != null ? vm : name.display();
    metrics.refused(verb);
    if (!budget.take(user)) {
      budget.suppress(user, new RefusalBudget.Kind(vm != null ? vm : "-",
          Verb.fromFileName(verb).isPresent() ? verb : null, reason(problem)));
      log.debug("refusal counted, not recorded (rate) user={} entry={}", user, where);
      return;
    }
    // What was counted before is told first, so the history stays in order.
    summarise(tree);
    Outcome outcome = new Outcome(clock.instant(), user, recordedVm, null, verb, tag,
        Result.REJECTED, message, Duration.between(started, clock.instant()).toMillis());
    log.info("rejected user={} entry={} problem=\"{}\"", user, where, problem);
    statuses.rejected(tree, recordedVm, outcome);
  }

  /**
   * Records the summaries of the user's counted refusals that the rate allows now (the sweep calls
   * this for every tree, so a flood that stopped is told about within a sweep or two).
   */
  void summarise(HomeTree tree) {
    String user = tree.identity().user();
    for (RefusalBudget.Summary s : budget.due(user)) {
      RefusalBudget.Kind k = s.kind();
      String message = s.count() + " more refusal" + (s.count() == 1 ? "" : "s")
          + " of the same kind (verb " + (k.verb() == null ? "none: not a verb" : k.verb())
          + ", reason: " + k.reason() + ") since " + HOUR_MINUTE.format(s.since())
          + " UTC, not recorded one by one: at most " + perMinute + " refusals a minute"
          + " are; the files are in rejected/, which keeps the newest " + rejectedKept;
      Outcome outcome = new Outcome(clock.instant(), user, k.vm(), null,
          k.verb() == null ? "-" : k.verb(), null, Result.REJECTED, message, 0);
      log.info("refusals summarised user={} vm={} verb={} count={}", user, k.vm(), k.verb(),
          s.count());
      statuses.rejected(tree, k.vm(), outcome);
    }
  }

  public void forget(String user) {
    budget.forget(user);
    sincePruned.remove(user);
  }

  /** Prunes {@code rejected/} at the user's first refusal and then every quarter of the cap. */
  private void prune(HomeTree tree) {
    String user = tree.identity().user();
    AtomicInteger count = sincePruned.get(user);
    boolean due;
    if (count == null) {
      sincePruned.putIfAbsent(user, new AtomicInteger());
      due = true;
    } else {
      due = count.incrementAndGet() >= Math.max(1, rejectedKept / 4);
    }
    if (!due) {
      return;
    }
    sincePruned.get(user).set(0);
    try {
      int removed = tree.pruneRejected(rejectedKept);
      if (removed > 0) {
        log.info("rejected/ pruned user={} removed={} kept={}", user, removed, rejectedKept);
      }
    } catch (IOException e) {
      log.warn("cannot prune rejected/ user={}", user, e);
    }
  }

  /** The problem without what varies from file to file (quoted names), for counting by kind. */
  public static String reason(String problem) {
    String r = problem.replaceAll("'[^']*'", "'…'");
    int semicolon = r.indexOf(';');
    if (semicolon > 0) {
      r = r.substring(0, semicolon);
    }
    return r.length() > 100 ? r.substring(0, 100) + "…" : r;
  }
}
