package org.wirt.serve;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.command.Command;
import org.wirt.command.CommandName;
import org.wirt.command.Refusal;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.journal.Journal;
import org.wirt.metrics.WirtMetrics;
import org.wirt.queue.Scheduler;
import org.wirt.queue.VmKey;
import org.wirt.status.Outcome;
import org.wirt.status.Result;
import org.wirt.status.StatusKeeper;
import org.wirt.threads.ThreadFailures;
import org.wirt.tree.Entry;
import org.wirt.tree.EntryName;
import org.wirt.tree.HomeTree;
import org.wirt.tree.LegacyTree;
import org.wirt.verbs.Checked;
import org.wirt.verbs.Verbs;

/**
 * Serves one command of one VM per turn (SPEC 4, 6, 7): picks the VM's oldest entry ({@link
 * Backlogs}), checks it and claims it ({@link Admission}), runs it and records the outcome ({@link
 * StatusKeeper}). It knows no verb: {@link Verbs} checks each command and says what running it
 * does.
 */
public final class VmServer {
  private static final Logger log = LoggerFactory.getLogger(VmServer.class);
  private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);
  private static final CompletableFuture<Boolean> KEPT = CompletableFuture.completedFuture(false);
  private static final CompletableFuture<Boolean> GONE = CompletableFuture.completedFuture(true);

  private final Roster roster;
  private final Backlogs backlogs;
  private final Admission admission;
  private final StatusKeeper statuses;
  private final Rejector rejector;
  private final Clock clock;
  private final Consumer<String> rescanUser;
  private final WirtMetrics metrics;
  private final Verbs verbs;
  private final Journal journal;
  private final InternalCommands internal;
  private final LegacyNotices legacyNotices = new LegacyNotices();

  /** As the full constructor, for a daemon that queues no commands of its own. */
  public VmServer(Roster roster, Scheduler scheduler, Verbs verbs, StatusKeeper statuses,
      Rejector rejector, Journal journal, Clock clock, ScheduledExecutorService timer,
      int maxCommandBytes, Consumer<String> rescanUser, WirtMetrics metrics) {
    this(roster, scheduler, verbs, statuses, rejector, journal, clock, timer, maxCommandBytes,
        rescanUser, metrics, InternalCommands.NONE);
  }

  /**
   * @param rescanUser asks for a scan of a user's tree whose VM directory cannot be listed
   * @param metrics times each command from its file's modification to its recorded outcome
   * @param internal the commands wirtd queues itself (settings.json), served before the VM's files
   */
  public VmServer(Roster roster, Scheduler scheduler, Verbs verbs, StatusKeeper statuses,
      Rejector rejector, Journal journal, Clock clock, ScheduledExecutorService timer,
      int maxCommandBytes, Consumer<String> rescanUser, WirtMetrics metrics,
      InternalCommands internal) {
    this.roster = Objects.requireNonNull(roster, "roster");
    this.backlogs = new Backlogs(scheduler, clock, timer);
    this.admission = new Admission(statuses, verbs, journal, maxCommandBytes);
    this.statuses = Objects.requireNonNull(statuses, "statuses");
    this.rejector = Objects.requireNonNull(rejector, "rejector");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.rescanUser = Objects.requireNonNull(rescanUser, "rescanUser");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.verbs = Objects.requireNonNull(verbs, "verbs");
    this.journal = Objects.requireNonNull(journal, "journal");
    this.internal = Objects.requireNonNull(internal, "internal");
  }

  /** Notes that inotify saw this entry closed or renamed into place: its content is final. */
  public void complete(VmKey key, EntryName name) {
    backlogs.complete(key, name);
  }

  /**
   * Serves the VM's next command.
   *
   * @return a future completed, when the command has finished and its outcome is recorded, with
   *     whether the VM may have more commands
   */
  CompletableFuture<Boolean> serve(VmKey key) {
    Optional<HomeTree> tree = roster.tree(key.user());
    if (tree.isEmpty()) {
      // The user left the group: their commands stay where they are, untouched.
      backlogs.forget(key);
      return CompletableFuture.completedFuture(false);
    }
    Optional<InternalCommands.Internal> own = internal.take(key);
    if (own.isPresent()) {
      // The VM's files are served at its next turn: more is true.
      return handleInternal(tree.get(), key, own.get()).thenApply(done -> true);
    }
    Backlogs.Next next;
    try {
      next = backlogs.next(tree.get(), key);
    } catch (NoSuchFileException e) {
      return CompletableFuture.completedFuture(false);
    } catch (IOException e) {
      log.warn("cannot list user={} vm={}", key.user(), key.vm(), e);
      rescanUser.accept(key.user());
      return CompletableFuture.completedFuture(false);
    }
    if (next.entry() == null) {
      return CompletableFuture.completedFuture(next.more());
    }
    return handle(tree.get(), next.legacy(), key.vm(), next.entry())
        .thenApply(vanished -> next.more() || vanished);
  }

  /**
   * Checks, claims, runs and records one entry.
   *
   * @return a future completed with whether the entry was gone when it was to be taken
   */
  private CompletableFuture<Boolean> handle(HomeTree tree, LegacyTree legacy, String vm,
      Entry entry) {
    Instant started = clock.instant();
    String user = tree.identity().user();
    String where = legacy != null ? legacy.where(vm, entry.name())
        : "command/vm/" + vm + "/" + entry.name().display();
    Admission.Accepted accepted;
    try {
      accepted = admission.check(tree, legacy, vm, entry);
    } catch (Refusal r) {
      rejector.reject(tree, legacy, vm, entry.name(), r.getMessage(), started);
      return KEPT;
    } catch (NoSuchFileException e) {
      return vanished(tree, vm);
    } catch (IOException | HypervisorException e) {
      log.warn("cannot check user={} entry={}", user, where, e);
      return KEPT;
    }
    Optional<Journal.Claim> claim = admission.claim(tree, vm, entry, accepted, started, where);
    if (claim.isEmpty()) {
      return vanished(tree, vm);
    }
    CommandName name = accepted.name();
    Checked checked = accepted.checked();
    try {
      // Before it runs, so that the lifecycle events it causes find the override noted.
      internal.oneOff(tree, vm, accepted.command());
    } catch (RuntimeException e) {
      log.warn("cannot note a one-off command user={} entry={}", user, where, e);
    }
    log.info("running user={} vm={} verb={} tag={} domain={} sinceWrittenMs={}", user, vm,
        name.verb().fileName(), name.tag(), checked.domainName(), String.format("%.3f",
            (Backlogs.nanos(clock.instant()) - entry.mtimeNanos()) / 1e6));
    CompletableFuture<String> running;
    try {
      running = checked.run();
    } catch (RuntimeException | Error e) {
      // Claimed and removed: it must end with an outcome. Out of memory halts here instead.
      ThreadFailures.process().caught("running user=" + user + " vm=" + vm + " verb="
          + name.verb().fileName(), e);
      running = CompletableFuture.failedFuture(e);
    }
    String from = legacy == null ? "" : legacyNotices.from(legacy, vm, entry.name());
    return running.handle((message, error) -> {
      Result result = error == null ? Result.OK : Result.FAILED;
      Outcome outcome = new Outcome(clock.instant(), user, vm, checked.domainName(),
          name.verb().fileName(), name.tag(), result,
          from + (error == null ? message : failure(error)),
          Duration.between(started, clock.instant()).toMillis());
      statuses.finished(claim.get().id(), tree, vm, checked.domain(), outcome);
      metrics.commandLatency(Duration.ofNanos(Backlogs.nanos(clock.instant()) - entry.mtimeNanos()));
      return false;
    });
  }

  /**
   * The entry went (withdrawn, or moved by {@code wirtctl migrate-tree} from {@code ~/virsh}
   * into the tree) after the VM's commands were listed: they are listed again before the next
   * is taken, so that the one moved, still the oldest, is not passed over for the next one on
   * the old listing.
   */
  private CompletableFuture<Boolean> vanished(HomeTree tree, String vm) {
    backlogs.relistNext(new VmKey(tree.identity().user(), vm));
    return GONE;
  }

  /**
   * Checks, claims, runs and records a command wirtd queued itself: the same checks, journal
   * claim and records as a file's, its messages prefixed with where it came from. It has no file:
   * its claim names {@code settings.json} with no inode, which recovery never removes.
   */
  private CompletableFuture<Void> handleInternal(HomeTree tree, VmKey key,
      InternalCommands.Internal job) {
    Instant started = clock.instant();
    String user = tree.identity().user();
    String vm = key.vm();
    Command command = job.command();
    String verb = command.verb().fileName();
    String where = "command/vm/" + vm + "/" + job.origin();
    Optional<String> overBudget = statuses.overBudget(tree);
    if (overBudget.isPresent()) {
      // The user's records wait (a full home): this adds none, and is tried again at a sweep.
      log.debug("not run while records wait user={} vm={} verb={} origin={}", user, vm, verb,
          job.origin());
      internal.ended(key, job, Result.INTERRUPTED, overBudget.get());
      return DONE;
    }
    Checked checked;
    try {
      checked = verbs.check(tree, vm, command);
    } catch (Refusal r) {
      log.info("refused user={} vm={} verb={} origin={} problem=\"{}\"", user, vm, verb,
          job.origin(), r.getMessage());
      metrics.refused(verb);
      statuses.rejected(tree, vm, new Outcome(clock.instant(), user, vm, null, verb, null,
          Result.REJECTED, where + ": " + r.getMessage(),
          Duration.between(started, clock.instant()).toMillis()));
      internal.ended(key, job, Result.REJECTED, r.getMessage());
      return DONE;
    } catch (HypervisorException | RuntimeException e) {
      log.warn("cannot check user={} vm={} verb={} origin={}", user, vm, verb, job.origin(), e);
      internal.ended(key, job, Result.INTERRUPTED, String.valueOf(e.getMessage()));
      return DONE;
    }
    Journal.Claim claim;
    try {
      claim = journal.claim(user, tree.identity().uid(), vm, checked.domainName(),
          checked.uuid(), verb, null, job.origin(), 0, 0, job.content(), started.toString());
    } catch (IOException e) {
      log.error("cannot write the journal, not run user={} vm={} verb={} origin={}", user, vm,
          verb, job.origin(), e);
      internal.ended(key, job, Result.INTERRUPTED, String.valueOf(e.getMessage()));
      return DONE;
    }
    log.info("running user={} vm={} verb={} origin={} domain={}", user, vm, verb, job.origin(),
        checked.domainName());
    CompletableFuture<String> running;
    try {
      running = checked.run();
    } catch (RuntimeException | Error e) {
      ThreadFailures.process().caught("running user=" + user + " vm=" + vm + " verb=" + verb, e);
      running = CompletableFuture.failedFuture(e);
    }
    return running.handle((message, error) -> {
      Result result = error == null ? Result.OK : Result.FAILED;
      String text = error == null ? message : failure(error);
      Outcome outcome = new Outcome(clock.instant(), user, vm, checked.domainName(), verb, null,
          result, where + ": " + text, Duration.between(started, clock.instant()).toMillis());
      statuses.finished(claim.id(), tree, vm, checked.domain(), outcome);
      internal.ended(key, job, result, text);
      return null;
    });
  }

  private static String failure(Throwable error) {
    Throwable cause = error instanceof CompletionException && error.getCause() != null
        ? error.getCause() : error;
    return cause.getMessage() == null ? cause.toString() : cause.getMessage();
  }
}
