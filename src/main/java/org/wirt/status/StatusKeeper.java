package org.wirt.status;

import org.wirt.serve.Owners;
import java.io.IOException;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.command.Verb;
import org.wirt.config.LimitsConfig;
import org.wirt.hypervisor.DomainState;
import org.wirt.hypervisor.DomainStatus;
import org.wirt.hypervisor.Hypervisor;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.LifecycleEvent;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.provision.Provisioner;
import org.wirt.journal.Journal;
import org.wirt.status.Json;
import org.wirt.status.Notifier;
import org.wirt.status.Result;
import org.wirt.status.Outcome;
import org.wirt.status.Recorder;
import org.wirt.tree.HomeTree;

/**
 * Keeps each owned VM's {@code status.json} current and records outcomes (SPEC 6), closing each
 * command's journal entry once all its records are written. Records a full or read-only home kept
 * from being written wait here and are tried again at every sweep, so none is lost or written
 * twice.
 */
public final class StatusKeeper {
  private static final Logger log = LoggerFactory.getLogger(StatusKeeper.class);

  private final Hypervisor hypervisor;
  private final Owners owners;
  private final Recorder recorder;
  private final Notifier notifier;
  private final Journal journal;
  private final Provisioner provisioner;
  private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
  private final Map<String, Object> refreshLocks = new ConcurrentHashMap<>();
  private final AtomicLong unjournaled = new AtomicLong(-1);
  /** Refusal records dropped at once because their user's budget was full, not yet audited. */
  private final Map<String, AtomicLong> droppedRefusals = new ConcurrentHashMap<>();
  private final Clock clock;
  private final LimitsConfig limits;

  /**
   * A command whose records are not all written yet; a negative id has no journal entry.
   *
   * @param attempts how many times writing them failed
   * @param bytes what keeping it costs: the outcome line and the journaled command content
   */
  private record Pending(long id, HomeTree tree, Outcome outcome, Recorder.Written written,
      int attempts, long bytes) {}

  /** What a user's waiting records cost, against {@code limits.pendingRecords(Bytes)}. */
  public record Usage(int records, long bytes, List<String> files) {}

  public StatusKeeper(Hypervisor hypervisor, Owners owners, Recorder recorder, Notifier notifier,
      Journal journal, Provisioner provisioner, Clock clock, LimitsConfig limits) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.limits = Objects.requireNonNull(limits, "limits");
    this.provisioner = provisioner;
    this.hypervisor = hypervisor;
    this.owners = owners;
    this.recorder = recorder;
    this.notifier = notifier;
    this.journal = journal;
  }

  /**
   * A claimed command has run: journals its outcome, records it, writes the VM's new state and
   * notifies a failure. {@code domain} is null when the VM is no longer the user's.
   */
  public void finished(long id, HomeTree tree, String vm, ManagedDomain domain, Outcome outcome) {
    mark(() -> journal.done(id, Json.outcome(outcome)));
    recorded(id, tree, outcome, Recorder.Written.NONE);
    if (domain != null
        && !Verb.fromFileName(outcome.verb()).map(Verb::changesOnlyState).orElse(false)) {
      provisioner.changed(domain.uuid());
    }
    Optional<DomainStatus> status = domain == null ? Optional.empty() : refresh(tree, vm, domain);
    if (outcome.result() != Result.OK) {
      notifier.commandFailed(outcome, status);
    }
    provisioner.report(tree, owners.ownedBy(tree.identity()));
  }

  /**
   * Writes the records of a journaled outcome that {@code done} says are missing (after a crash),
   * and closes its journal entry once they are all written.
   */
  public void recorded(long id, HomeTree tree, Outcome outcome, Recorder.Written done) {
    Recorder.Written written = done == Recorder.Written.NONE
        ? recorder.record(tree, outcome, () -> mark(() -> journal.logged(id)))
        : recorder.retry(tree, outcome, done, () -> mark(() -> journal.logged(id)));
    settle(new Pending(id, tree, outcome, written, 0, bytes(id, outcome)));
  }

  /**
   * Records and notifies a refused command; if the VM is the user's, its status shows it as last
   * command.
   */
  public void rejected(HomeTree tree, String vm, Outcome outcome) {
    settle(new Pending(unjournaled.getAndDecrement(), tree, outcome,
        recorder.record(tree, outcome), 0, bytes(-1, outcome)));
    Optional<DomainStatus> status = owners.ownedBy(tree.identity()).stream()
        .filter(d -> d.owner().vm().equals(vm))
        .findFirst()
        .flatMap(d -> refresh(tree, vm, d));
    notifier.commandFailed(outcome, status);
  }

  /** Shows a long operation's progress in the VM's {@code status.json}; null percent ends it. */
  public void operation(HomeTree tree, String vm, String verb, Integer percent) {
    recorder.operation(tree, vm, verb, percent);
  }

  /** Writes that libvirt is unreachable into the VM's {@code status.json}. */
  public void unreachable(HomeTree tree, String vm) {
    recorder.unreachable(tree, vm);
  }

  /** A claimed command did not run (its file was withdrawn or replaced): closes its journal entry. */
  public void withdrawn(long id) {
    mark(() -> journal.complete(id));
  }

  /**
   * Tries again to write what a full or read-only home kept from being written; a record that
   * failed {@code limits.recordAttempts} times or is older than {@code recordGiveUpMinutes} is
   * given up.
   */
  public void retryPending() {
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

  /** Returns how many commands still wait for some of their records. */
  public int pendingCount() {
    return pending.size();
  }

  /** Returns what the user's waiting records cost, and which of their files cannot be written. */
  public Usage usage(String user) {
    int records = 0;
    long bytes = 0;
    java.util.Set<String> files = new java.util.TreeSet<>();
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
  public Optional<String> overBudget(HomeTree tree) {
    String user = tree.identity().user();
    Usage u = usage(user);
    if (u.records() < limits.pendingRecords() && u.bytes() < limits.pendingRecordBytes()) {
      return Optional.empty();
    }
    String files = u.files().stream().limit(3).map(f -> tree.root().resolve(f).toString())
        .collect(java.util.stream.Collectors.joining(", "));
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
    List<String> files = new java.util.ArrayList<>();
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
        + " attempts over " + java.time.Duration.between(o.time(), clock.instant()).toMinutes()
        + " min" + recorder.problem(o.user()).map(m -> ": " + m).orElse("");
    log.warn("records given up user={} vm={} verb={} id={} reason=\"{}\"", o.user(), o.vm(),
        o.verb(), p.id(), why);
    recorder.auditNote(o.user(), o.vm(), "records-given-up", "the records of " + what
        + " are given up: " + why);
    if (org.wirt.command.Names.isVm(o.vm()) && !missing(p).contains("logs/vm/" + o.vm() + ".log")) {
      recorder.vmLog(p.tree(), o.vm(), "wirt gave up writing the records of " + what + ": " + why
          + "; the outcome was: " + o.message());
    }
  }

  /** A journal write that failed is logged: the command has run, its outcome is recorded anyway. */
  private static void mark(JournalWrite write) {
    try {
      write.run();
    } catch (IOException e) {
      log.error("journal write failed: {}", e.getMessage());
    }
  }

  @FunctionalInterface
  private interface JournalWrite {
    void run() throws IOException;
  }

  /** Writes the VM's {@code status.json} if it changed; returns the status, if libvirt gave one. */
  public Optional<DomainStatus> refresh(HomeTree tree, String vm, ManagedDomain domain) {
    // A worker and the events thread may refresh the same VM at once; asking libvirt and
    // writing under one lock per VM keeps an older answer from overwriting a newer one.
    Object lock = refreshLocks.computeIfAbsent(tree.identity().user() + "/" + vm, k -> new Object());
    synchronized (lock) {
      DomainStatus status;
      try {
        status = hypervisor.status(domain.uuid());
      } catch (HypervisorException e) {
        log.warn("status unavailable user={} vm={} domain={}: {}", tree.identity().user(), vm,
            domain.name(), e.getMessage());
        return Optional.empty();
      }
      provisioner.observed(status);
      recorder.status(tree, vm, status, "connected");
      return Optional.of(status);
    }
  }

  /** Tells the owner and root when a VM changed state on its own in a way that looks like trouble. */
  public void lifecycle(HomeTree tree, ManagedDomain domain, LifecycleEvent event) {
    String vm = domain.owner().vm();
    recorder.vmLog(tree, vm, "libvirt: " + event.type() + " (" + event.detail() + ")");
    if (event.type().equals("defined") || event.type().equals("undefined")) {
      // Redefined (a new vCPU count, memory or metadata) or gone: settings are asked for again.
      provisioner.changed(domain.uuid());
    }
    Optional<DomainStatus> status = refresh(tree, vm, domain);
    provisioner.report(tree, owners.ownedBy(tree.identity()));
    if (looksLikeTrouble(event)) {
      notifier.vmTrouble(tree.identity().user(), vm, event, status);
    }
  }

  /** A crash, or libvirt stopping the VM for a reason other than a request (host shutdown, failure). */
  public static boolean looksLikeTrouble(LifecycleEvent event) {
    return event.type().equals("crashed")
        || (event.type().equals("stopped")
            && (event.detail().equals("crashed") || event.detail().equals("failed")));
  }

  /** Refreshes the user's VMs that libvirt last said were not shut off (addresses may change). */
  public void refreshRunning(HomeTree tree) {
    for (ManagedDomain d : owners.ownedBy(tree.identity())) {
      if (provisioner.lastKnownState(d.uuid()).map(s -> s != DomainState.SHUTOFF).orElse(true)) {
        refresh(tree, d.owner().vm(), d);
      }
    }
  }

  /**
   * Refreshes every VM the user owns; with {@code recheckFacts}, also asks libvirt again for their
   * settings, disks and snapshots, which an admin may have changed without an event.
   */
  public void refreshAll(HomeTree tree, boolean recheckFacts) {
    List<ManagedDomain> owned = owners.ownedBy(tree.identity());
    for (ManagedDomain d : owned) {
      refresh(tree, d.owner().vm(), d);
    }
    if (recheckFacts) {
      provisioner.forget(owned);
      provisioner.report(tree, owned);
    } else {
      provisioner.reportOnce(tree, () -> owned);
    }
  }
}
