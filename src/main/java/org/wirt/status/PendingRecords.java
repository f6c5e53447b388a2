package org.wirt.status;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.command.Names;
import org.wirt.config.LimitsConfig;
import org.wirt.tree.HomeTree;

/**
 * Writes the records of outcomes (SPEC 6) and closes each command's journal entry once they are
 * all written. Records a full or read-only home kept from being written wait here and are tried
 * again at every sweep, so none is lost or written twice; what they cost a user is bounded ({@code
 * limits.pendingRecords}, {@code limits.pendingRecordBytes}), and past their attempts or age they
 * are given up.
 */
final class PendingRecords {
  private static final Logger log = LoggerFactory.getLogger(PendingRecords.class);

  private final Recorder recorder;
  private final JournalMarks journal;
  private final Clock clock;
  private final LimitsConfig limits;
  private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
  private final AtomicLong unjournaled = new AtomicLong(-1);
  /** Refusal records dropped at once because their user's budget was full, not yet audited. */
  private final Map<String, AtomicLong> droppedRefusals = new ConcurrentHashMap<>();

  /**
   * A command whose records are not all written yet; a negative id has no journal entry.
   *
   * @param attempts how many times writing them failed
   * @param bytes what keeping it costs: the outcome line and the journaled command content
   */
  private record Pending(long id, HomeTree tree, Outcome outcome, Recorder.Written written,
      int attempts, long bytes) {}

  /** What a user's waiting records cost, against {@code limits.pendingRecords(Bytes)}. */
  record Usage(int records, long bytes, List<String> files) {}

  PendingRecords(Recorder recorder, JournalMarks journal, Clock clock, LimitsConfig limits) {
    this.recorder = Objects.requireNonNull(recorder, "recorder");
    this.journal = Objects.requireNonNull(journal, "journal");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.limits = Objects.requireNonNull(limits, "limits");
  }

  /**
   * Writes the records of a journaled outcome that {@code done} says are missing, and closes its
   * journal entry once they are all written.
   */
  void record(long id, HomeTree tree, Outcome outcome, Recorder.Written done) {
    Recorder.Written written = done == Recorder.Written.NONE
        ? recorder.record(tree, outcome, () -> mark(() -> journal.logged(id)))
        : recorder.retry(tree, outcome, done, () -> mark(() -> journal.logged(id)));
    settle(new Pending(id, tree, outcome, written, 0, bytes(id, outcome)));
  }

  /** Writes the records of a refusal, which has no journal entry. */
  void recordRefusal(HomeTree tree, Outcome outcome) {
    settle(new Pending(unjournaled.getAndDecrement(), tree, outcome,
        recorder.record(tree, outcome), 0, bytes(-1, outcome)));
  }

  /**
   * Tries again to write what a full or read-only home kept from being written; a record that
   * failed {@code limits.recordAttempts} times or is older than {@code recordGiveUpMinutes} is
   * given up.
   */
  void retry() {
    for (Pending p : pending.values()) {
      Recorder.Written written = recorder.retry(p.tree(), p.outcome(), p.written(),
          () -> mark(() -> journal.logged(p.id())));
      settle(new Pending(p.id(), p.tree(), p.outcome(), written, p.attempts() + 1, p.bytes()));
    }
    for (Map.Entry<String, AtomicLong> e : droppedRefusals.entrySet()) {
      long n = e.getValue().getAndSet(0);
      if (n > 0) {
        recorder.auditNote(e.getKey(), "-", "refusal-records-dropped", n + " refusal record"
            + (n == 1 ? "" : "s") + " not kept for writing into the user's tree: "
            + limits.pendingRecords() + " records wait already (limits.pendingRecords); each is in"
            + " this audit log");
      }
    }
  }

  /** Returns what the user's waiting records cost, and which of their files cannot be written. */
  Usage usage(String user) {
    int records = 0;
    long bytes = 0;
    Set<String> files = new TreeSet<>();
    for (Pending p : pending.values()) {
      if (p.outcome().user().equals(user)) {
        records++;
        bytes += p.bytes();
        files.addAll(missing(p));
      }
    }
    return new Usage(records, bytes, List.copyOf(files));
  }

  /**
   * Returns why the user's new commands are refused, if their waiting records are over budget: a
   * command that runs adds records wirtd would have to keep too.
   */
  Optional<String> overBudget(HomeTree tree) {
    String user = tree.identity().user();
    Usage u = usage(user);
    if (u.records() < limits.pendingRecords() && u.bytes() < limits.pendingRecordBytes()) {
      return Optional.empty();
    }
    String files = u.files().stream().limit(3).map(f -> tree.root().resolve(f).toString())
        .collect(Collectors.joining(", "));
    return Optional.of("you have " + u.records() + " commands whose records wirt cannot write to "
        + files + recorder.problem(user).map(p -> " (" + p + ")").orElse("")
        + "; new commands are refused while " + limits.pendingRecords() + " or more wait or they"
        + " hold " + limits.pendingRecordBytes() + " bytes or more (limits.pendingRecords,"
        + " limits.pendingRecordBytes); fix that: make each a regular file you own with one"
        + " link, or remove it, and free space in your home; wirt writes the waiting records at"
        + " its next sweep");
  }

  /** The files of the user's tree a pending record still has to be written to. */
  private static List<String> missing(Pending p) {
    List<String> files = new ArrayList<>();
    Outcome o = p.outcome();
    if (!p.written().history()) {
      files.add("logs/history.log");
    }
    if (!p.written().vmLog()) {
      files.add("logs/vm/" + o.vm() + ".log");
    }
    if (!p.written().result()) {
      files.add("info/vm/" + o.vm() + "/results/" + o.tag() + ".json");
    }
    return files;
  }

  private long bytes(long id, Outcome outcome) {
    return Json.line(outcome).length + (id >= 0 ? journal.contentBytes(id) : 0);
  }

  private void settle(Pending p) {
    if (!p.written().all()) {
      Pending before = pending.get(p.id());
      if (before == null) {
        if (p.id() < 0 && overBudget(p)) {
          // A refusal has run nothing and its audit line is written: it is not kept for the
          // user's tree once the user's budget is full (a flood of refusals into an unwritable
          // history.log costs no memory).
          droppedRefusals.computeIfAbsent(p.outcome().user(), u -> new AtomicLong())
              .incrementAndGet();
          return;
        }
        pending.put(p.id(), p);
        log.warn("records incomplete, retrying at every sweep user={} vm={} verb={} written={}",
            p.outcome().user(), p.outcome().vm(), p.outcome().verb(), p.written());
        return;
      }
      if (p.attempts() >= limits.recordAttempts() || !clock.instant().isBefore(
          p.outcome().time().plus(limits.recordGiveUpAfter()))) {
        giveUp(p);
        return;
      }
      pending.put(p.id(), p);
      return;
    }
    if (pending.remove(p.id()) != null) {
      log.info("records completed user={} vm={} verb={}", p.outcome().user(), p.outcome().vm(),
          p.outcome().verb());
    }
    if (p.id() >= 0) {
      mark(() -> journal.complete(p.id()));
    }
  }

  private boolean overBudget(Pending p) {
    Usage u = usage(p.outcome().user());
    return u.records() >= limits.pendingRecords()
        || u.bytes() + p.bytes() > limits.pendingRecordBytes();
  }

  /**
   * Drops a record that cannot be written: its journal entry is closed (so the journal does not
   * carry it forever), root's audit log says what was lost, and the user's VM log says so if it
   * can be written.
   */
  private void giveUp(Pending p) {
    pending.remove(p.id());
    if (p.id() >= 0) {
      mark(() -> journal.complete(p.id()));
    }
    Outcome o = p.outcome();
    String what = o.verb() + (o.tag() == null ? "" : "." + o.tag()) + " (" + o.result().json()
        + ", " + o.time() + ")";
    String why = String.join(", ", missing(p)) + " could not be written in " + p.attempts()
        + " attempts over " + Duration.between(o.time(), clock.instant()).toMinutes()
        + " min" + recorder.problem(o.user()).map(m -> ": " + m).orElse("");
    log.warn("records given up user={} vm={} verb={} id={} reason=\"{}\"", o.user(), o.vm(),
        o.verb(), p.id(), why);
    recorder.auditNote(o.user(), o.vm(), "records-given-up", "the records of " + what
        + " are given up: " + why);
    if (Names.isVm(o.vm()) && !missing(p).contains("logs/vm/" + o.vm() + ".log")) {
      recorder.vmLog(p.tree(), o.vm(), "wirt gave up writing the records of " + what + ": " + why
          + "; the outcome was: " + o.message());
    }
  }

  /** A journal write that failed is logged: the command has run, its outcome is recorded anyway. */
  static void mark(JournalWrite write) {
    try {
      write.run();
    } catch (IOException e) {
      log.error("journal write failed", e);
    }
  }

  @FunctionalInterface
  interface JournalWrite {
    void run() throws IOException;
  }
}
