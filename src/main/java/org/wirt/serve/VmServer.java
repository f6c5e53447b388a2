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

  private final Roster roster;
  private final Backlogs backlogs;
  private final Admission admission;
  private final StatusKeeper statuses;
  private final Rejector rejector;
  private final Clock clock;
  private final Consumer<String> rescanUser;
  private final WirtMetrics metrics;
  private final LegacyNotices legacyNotices = new LegacyNotices();

  /**
   * @param rescanUser asks for a scan of a user's tree whose VM directory cannot be listed
   * @param metrics times each command from its file's modification to its recorded outcome
   */
  public VmServer(Roster roster, Scheduler scheduler, Verbs verbs, StatusKeeper statuses,
      Rejector rejector, Journal journal, Clock clock, ScheduledExecutorService timer,
      int maxCommandBytes, Consumer<String> rescanUser, WirtMetrics metrics) {
    this.roster = Objects.requireNonNull(roster, "roster");
    this.backlogs = new Backlogs(scheduler, clock, timer);
    this.admission = new Admission(statuses, verbs, journal, maxCommandBytes);
    this.statuses = Objects.requireNonNull(statuses, "statuses");
    this.rejector = Objects.requireNonNull(rejector, "rejector");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.rescanUser = Objects.requireNonNull(rescanUser, "rescanUser");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
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
    return handle(tree.get(), next.legacy(), key.vm(), next.entry()).thenApply(done -> next.more());
  }

  /** Checks, claims, runs and records one entry. */
  private CompletableFuture<Void> handle(HomeTree tree, LegacyTree legacy, String vm, Entry entry) {
    Instant started = clock.instant();
    String user = tree.identity().user();
    String where = legacy != null ? legacy.where(vm, entry.name())
        : "command/vm/" + vm + "/" + entry.name().display();
    Admission.Accepted accepted;
    try {
      accepted = admission.check(tree, legacy, vm, entry);
    } catch (Refusal r) {
      rejector.reject(tree, legacy, vm, entry.name(), r.getMessage(), started);
      return DONE;
    } catch (NoSuchFileException e) {
      return DONE;
    } catch (IOException | HypervisorException e) {
      log.warn("cannot check user={} entry={}", user, where, e);
      return DONE;
    }
    Optional<Journal.Claim> claim = admission.claim(tree, vm, entry, accepted, started, where);
    if (claim.isEmpty()) {
      return DONE;
    }
    CommandName name = accepted.name();
    Checked checked = accepted.checked();
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
      return null;
    });
  }

  private static String failure(Throwable error) {
    Throwable cause = error instanceof CompletionException && error.getCause() != null
        ? error.getCause() : error;
    return cause.getMessage() == null ? cause.toString() : cause.getMessage();
  }
}
