package org.wirt.wirtd;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.config.Config;
import org.wirt.control.DaemonControl;
import org.wirt.desired.DesiredState;
import org.wirt.hypervisor.Hypervisor;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hostname.Claims;
import org.wirt.hostname.HostNameServer;
import org.wirt.hostname.HostNameWatch;
import org.wirt.journal.Journal;
import org.wirt.journal.Recovery;
import org.wirt.metrics.Metering;
import org.wirt.metrics.VmMetricsFiles;
import org.wirt.metrics.WirtMetrics;
import org.wirt.posix.Inotify;
import org.wirt.posix.Nss;
import org.wirt.provision.Provisioner;
import org.wirt.queue.Scheduler;
import org.wirt.queue.VmKey;
import org.wirt.serve.Census;
import org.wirt.serve.DomainEvents;
import org.wirt.serve.Owners;
import org.wirt.serve.Rejector;
import org.wirt.serve.Roster;
import org.wirt.serve.Sweeper;
import org.wirt.serve.UserScanner;
import org.wirt.serve.VmServer;
import org.wirt.serve.Workers;
import org.wirt.status.DaemonReport;
import org.wirt.status.Heartbeat;
import org.wirt.status.Notifier;
import org.wirt.status.Recorder;
import org.wirt.status.StatusKeeper;
import org.wirt.status.VmFacts;
import org.wirt.threads.ThreadFailures;
import org.wirt.tree.EntryName;
import org.wirt.tree.HomeTree;
import org.wirt.tree.Identity;
import org.wirt.users.Members;
import org.wirt.verbs.QuotaChecks;
import org.wirt.verbs.Verbs;
import org.wirt.watch.WatchListener;
import org.wirt.watch.Watcher;

/**
 * The running daemon: the one place its parts are made and wired, its threads, and how events
 * flow between them.
 *
 * <ul>
 *   <li>the watcher thread turns inotify events into signals for the scheduler;
 *   <li>{@code workers} threads each take a VM from the scheduler and serve one command of it
 *       ({@link Workers}, {@link VmServer});
 *   <li>the sweep thread reads the group's members again, scans every tree every {@code
 *       sweepIntervalSeconds} and on request ({@link Sweeper});
 *   <li>the events thread turns libvirt lifecycle events into {@code status.json} updates;
 *   <li>the timer thread waits for guests that were asked to shut down;
 *   <li>the metrics thread writes running VMs' {@code metrics.json} and the admin's textfile
 *       ({@link Metering}).
 * </ul>
 *
 * All of them are platform threads, because file access in a home switches the thread's
 * filesystem identity (SPEC 8).
 */
public final class Daemon implements DaemonControl, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Daemon.class);

  private volatile Config config;
  private final Hypervisor hypervisor;
  private final Roster roster;
  private final Scheduler scheduler = new Scheduler();
  private final Watcher watcher;
  private final StatusKeeper statuses;
  private final QuotaChecks quotas;
  private final VmServer server;
  private final Workers workers;
  private final Sweeper sweeper;
  private final Census census;
  private final DomainEvents domainEvents;
  private final Recovery recovery;
  private final DesiredState desired;
  private final Heartbeat heartbeat;
  private final Consoles consoles;
  private final WirtMetrics metrics = new WirtMetrics();
  private final Metering metering;
  private final ThreadFailures failures = ThreadFailures.process();
  private final ScheduledExecutorService timer = failures.executor("wirt-timer");
  private final ExecutorService events = failures.executor("wirt-events");
  private final Thread watcherThread;
  /** How often {@code command/domain/} is swept while host names are off: as the skeleton is. */
  static final Duration HOST_NAMES_OFF_SWEEP = Duration.ofMinutes(5);
  private final HostNameServer hostNames;
  private final HostNameWatch hostNameWatch;
  private final ScheduledExecutorService hostNameThread = failures.executor("wirt-domains");
  private final java.util.concurrent.atomic.AtomicBoolean reconcileQueued =
      new java.util.concurrent.atomic.AtomicBoolean();
  private final Instant started;
  private volatile boolean libvirtUp = true;

  public Daemon(Config config, Members members, Hypervisor hypervisor, Inotify inotify,
      Journal journal, Recorder recorder, Notifier notifier, Clock clock) {
    this.config = Objects.requireNonNull(config, "config");
    this.hypervisor = Objects.requireNonNull(hypervisor, "hypervisor");
    Objects.requireNonNull(members, "members");
    Objects.requireNonNull(clock, "clock");
    this.roster = new Roster(config.treeDir(), config.legacyTree().orElse(null), clock);
    Owners owners = new Owners(hypervisor, clock);
    this.watcher = new Watcher(inotify, new Signals(), config.limits().watchesPerUser());
    VmFacts facts = new VmFacts(hypervisor);
    this.quotas = new QuotaChecks(hypervisor, facts, config.quotas(),
        Daemon::isMember);
    this.statuses = new StatusKeeper(hypervisor, owners::ownedBy, recorder, notifier, journal,
        facts, quotas, clock, config.limits(), metrics);
    Verbs verbs = new Verbs(hypervisor, owners, quotas,
        new Provisioner(hypervisor, config.images(), config.console().logDir()),
        config.domainNamePattern(),
        statuses::operation, timer, clock);
    Rejector rejector = new Rejector(statuses, clock, config.limits().refusalsPerMinute(),
        config.limits().refusalBurst(), config.limits().rejectedKept(), metrics);
    this.desired = new DesiredState(roster, owners, hypervisor, facts, statuses, scheduler,
        config.stateDir(), config.maxCommandBytes(), failures.executor("wirt-settings"),
        failures);
    this.server = new VmServer(roster, scheduler, verbs, statuses, rejector, journal, clock,
        timer, config.maxCommandBytes(), this::rescan, metrics, desired);
    this.workers = new Workers(scheduler, server, failures);
    this.heartbeat = new Heartbeat(clock, config.sweepInterval(), watcher);
    Claims claims = openClaims(config.stateDir());
    quotas.countDomainsWith(u -> claims.heldBy(u.user(), u.uid()));
    this.hostNames = new HostNameServer(config.domains(), claims, owners::find, hypervisor,
        recorder, notifier, quotas::domainLimit, roster::tree, roster::all, clock,
        config.maxCommandBytes(), statuses::reportInfo);
    this.hostNameWatch = new HostNameWatch(openInotify(), (user, label, entry, complete) ->
        hostNames.signal(user, label, entry, complete),
        config.limits().watchesPerUser());
    hostNames.watchWith(hostNameWatch, hostNameThread);
    // Told by each scan which VMs have a settings.json (the settings pass needs no sweep of its
    // own), and that the tree is served (its command/domain/ is watched from then on).
    UserScanner scanner = new UserScanner(owners, watcher, scheduler, statuses, rejector, clock,
        (tree, vms) -> {
          desired.seen(tree, vms);
          hostNameWatch.watch(tree);
        });
    this.consoles = new Consoles(config.console(), config.libvirtUri(), roster, owners, statuses,
        Objects.requireNonNull(recorder, "recorder"), failures, clock);
    VmMetricsFiles vmMetrics = new VmMetricsFiles(hypervisor, roster::all, owners::ownedBy,
        d -> facts.mayHoldResources(d.uuid()), clock, config.metrics().vmInterval());
    this.metering = new Metering(config.metrics(), vmMetrics, metrics,
        new DaemonGauges(scheduler, Objects.requireNonNull(notifier, "notifier"),
            () -> libvirtUp, roster, owners, quotas), failures);
    this.sweeper = new Sweeper(roster, owners, scanner, statuses, rejector, heartbeat,
        user -> {
          watcher.forget(user);
          hostNameWatch.forget(user);
          heartbeat.forget(user);
          rejector.forget(user);
          consoles.forget(user);
          vmMetrics.forget(user);
        }, workers::draining, failures.executor("wirt-sweep"), failures, clock, members,
        config.membersRefresh());
    this.census = new Census(roster, owners, watcher, scheduler);
    this.domainEvents = new DomainEvents(owners, roster, verbs, statuses, failures);
    this.recovery = new Recovery(journal, roster::tree, owners::byUuid, verbs, statuses,
        recorder, clock);
    this.watcherThread = new Thread(watcher, "wirt-watch");
    watcherThread.setDaemon(true);
    this.started = clock.instant();
  }

  /** The host name registry of {@code stateDir}; a registry that cannot be read stops startup. */
  private static Claims openClaims(java.nio.file.Path stateDir) {
    try {
      return Claims.open(stateDir);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static Inotify openInotify() {
    try {
      return Inotify.open();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Brings the published host names up to date soon (a VM started, stopped or went away). */
  private void reconcileHostNames() {
    if (reconcileQueued.compareAndSet(false, true)) {
      hostNameThread.execute(() -> {
        reconcileQueued.set(false);
        hostNames.reconcile();
      });
    }
  }

  /** Whether the user is in the group (by NSS), for quotas given per group. */
  private static boolean isMember(Identity user, String group) {
    return Nss.system().group(group)
        .map(g -> g.gid() == user.gid()
            || Arrays.stream(user.groups()).anyMatch(id -> id == g.gid())
            || g.members().contains(user.user()))
        .orElse(false);
  }

  /** Reads ownership and members, recovers the journal, starts every thread and sweeps. */
  public void start() throws HypervisorException {
    sweeper.prepare();
    int recovered = recovery.run();
    if (recovered > 0) {
      log.info("recovered journal entries count={}", recovered);
    }
    hypervisor.onLifecycle(e -> events.execute(() -> {
      domainEvents.apply(e);
      desired.domainEvent(e.uuid());
    }));
    hypervisor.onLifecycle(e -> reconcileHostNames());
    hostNameThread.execute(() -> {
      int taken = hostNames.recover();
      if (taken > 0) {
        log.info("recorded host name commands taken before a restart count={}", taken);
      }
    });
    hostNameThread.scheduleWithFixedDelay(failures.guard("wirt-domains", hostNames::sweep),
        0, hostNameSweepInterval(config).toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    Thread watchNames = new Thread(hostNameWatch, "wirt-domains-watch");
    watchNames.setDaemon(true);
    watchNames.start();
    watcherThread.start();
    workers.start(config.workers());
    sweeper.start(config.sweepInterval());
    desired.start();
    consoles.start();
    metering.start();
    log.info("wirtd started workers={} sweepIntervalSeconds={} libvirt={}", config.workers(),
        config.sweepIntervalSeconds(), config.libvirtUri());
  }

  /** Runs a thorough sweep now (on the sweep thread) and waits for it. */
  public void sweepNow() throws InterruptedException {
    sweepNow(true);
  }

  /**
   * Runs a sweep now and waits for it: thorough (every check), or as the periodic sweep does it
   * (checks done recently left out, see {@link UserScanner#SKELETON_RECHECK}); with host names
   * on, then also their pass ({@link #hostNamesNow}).
   */
  public void sweepNow(boolean thorough) throws InterruptedException {
    sweeper.sweepNow(thorough);
    // Off, the host-name pass keeps its own slower schedule (hostNameSweepInterval), thorough
    // sweeps included: it only refuses, and inotify does that at once.
    if (config.domains().enabled()) {
      hostNamesNow();
    }
  }

  /**
   * How often every tree's {@code command/domain/} is looked at: at every sweep while host names
   * are on. Off (no {@code domains.zone}, the default), a command there is only refused, and it
   * costs the periodic sweep nothing: inotify finds it at once in a tree seen before, and this
   * slower sweep finds the rest (listing 10,000 users' {@code command/domain/} took 580 ms on
   * the benchmark machine, a third of the periodic sweep's own time).
   */
  static Duration hostNameSweepInterval(Config config) {
    return config.domains().enabled() ? config.sweepInterval()
        : Collections.max(List.of(config.sweepInterval(), HOST_NAMES_OFF_SWEEP));
  }

  /** Takes the host name commands waiting and brings publication up to date now, and waits. */
  public void hostNamesNow() throws InterruptedException {
    try {
      hostNameThread.submit(hostNames::sweep).get();
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("host name sweep failed", e.getCause());
    }
  }

  /** Reconciles every VM towards its settings.json now and waits (tests; the sweep does it). */
  public void settingsSweepNow() throws InterruptedException {
    desired.sweepNow();
  }

  /** Reads the group's members now (tests; the sweep does it every membersRefreshSeconds). */
  public void readMembersNow() throws InterruptedException {
    sweeper.readMembersNow();
  }

  /**
   * Takes a new configuration (SIGHUP, {@code wirtctl reload}): who is served and how often
   * membership is read take effect at once; keys that shape the running daemon (libvirt URI,
   * directories, workers, intervals, limits) are logged as needing a restart.
   */
  public void reload(Config next, Members nextMembers) {
    Config old = config;
    List<String> restart = new ArrayList<>();
    check(restart, "libvirtUri", old.libvirtUri(), next.libvirtUri());
    check(restart, "treeDir", old.treeDir(), next.treeDir());
    check(restart, "legacyTreeDir", String.valueOf(old.legacyTreeDir()), String.valueOf(next.legacyTreeDir()));
    check(restart, "stateDir", old.stateDir(), next.stateDir());
    check(restart, "logDir", old.logDir(), next.logDir());
    check(restart, "workers", old.workers(), next.workers());
    check(restart, "sweepIntervalSeconds", old.sweepIntervalSeconds(), next.sweepIntervalSeconds());
    check(restart, "maxCommandBytes", old.maxCommandBytes(), next.maxCommandBytes());
    check(restart, "domainNamePattern", old.domainNamePattern(), next.domainNamePattern());
    check(restart, "limits", old.limits(), next.limits());
    check(restart, "metrics", old.metrics(), next.metrics());
    check(restart, "domains", old.domains(), next.domains());
    config = next;
    quotas.reload(next.quotas());
    statuses.forgetReported();
    if (!restart.isEmpty()) {
      log.warn("reload: changed keys take effect at the next restart keys={}", restart);
    }
    log.info("configuration reloaded group={} users={}", next.group(), next.users().keySet());
    sweeper.reload(nextMembers, next.membersRefresh());
  }

  private static void check(List<String> restart, String key, Object before, Object after) {
    if (!before.equals(after)) {
      restart.add(key);
    }
  }

  /**
   * libvirt was lost or is back ({@code ReconnectingHypervisor}). While it is away, commands stay
   * where they are (checking them needs libvirt) and {@code status.json} says so; once it is back,
   * a sweep refreshes ownership and every status and picks the waiting commands up.
   */
  public void libvirtConnectivity(boolean up) {
    if (up && !libvirtUp) {
      metrics.reconnected();
    }
    libvirtUp = up;
    sweeper.libvirtConnectivity(up);
    if (up) {
      desired.sweepSoon();
    }
  }

  /**
   * Writes the running VMs' {@code metrics.json} and the textfile now, on the metrics thread, and
   * waits (tests; the thread does it every {@code metrics.vmSeconds} and {@code textfileSeconds}).
   */
  public void meterNow() throws InterruptedException {
    metering.runNow();
  }

  /** Returns how many users are served. */
  public int userCount() {
    return roster.size();
  }

  /**
   * Stops taking commands ({@code wirtctl drain}) or takes them again ({@code drain --off}).
   * Commands already running finish; queued ones stay in the users' trees. Users see {@code
   * "draining": true} in {@code info/wirtd.json}.
   */
  @Override
  public void drain(boolean on) {
    if (workers.drain(on)) {
      log.info(on ? "draining: no new commands are taken; running={}" : "drain ended running={}",
          workers.running());
      sweeper.drainChanged(on);
    }
  }

  @Override
  public DaemonReport.Overview overview() {
    return new DaemonReport.Overview(ProcessHandle.current().pid(), started.toString(),
        config.libvirtUri(), libvirtUp, workers.draining(), config.workers(), workers.running(),
        roster.size(), watcher.watchCount(), sweeper.lastSweep().map(Instant::toString)
            .orElse(null), sweeper.lastSweepMs(), new TreeMap<>(scheduler.depths()));
  }

  @Override
  public List<DaemonReport.UserLine> users() {
    return census.users();
  }

  @Override
  public List<DaemonReport.QueueLine> queue(Optional<String> onlyUser) {
    return census.queue(onlyUser);
  }

  @Override
  public int running() {
    return workers.running();
  }

  @Override
  public void ownershipChanged() {
    sweeper.ownershipChanged();
  }

  private void rescan(String user) {
    sweeper.rescan(user);
  }

  /** Stops taking commands, lets running ones finish (briefly), and stops every thread. */
  @Override
  public void close() {
    log.info("wirtd stopping");
    workers.stopTaking();
    watcher.close();
    hostNameWatch.close();
    hostNameThread.shutdownNow();
    sweeper.stop();
    desired.stop();
    workers.join(Duration.ofSeconds(30));
    heartbeat.stopped(roster.all());
    consoles.close();
    metering.close();
    events.shutdownNow();
    timer.shutdownNow();
    try {
      watcherThread.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    hypervisor.close();
    log.info("wirtd stopped");
  }

  private final class Signals implements WatchListener {
    @Override
    public void vmDirectoriesChanged(String user) {
      sweeper.rescan(user);
    }

    @Override
    public void entryArrived(VmKey key, EntryName name, boolean complete) {
      if (complete) {
        server.complete(key, name);
        if (name.text().filter(HomeTree.SETTINGS_FILE::equals).isPresent()) {
          desired.fileChanged(key);
        }
      }
      scheduler.signal(key);
    }

    @Override
    public void overflow() {
      sweeper.overflow();
    }
  }
}
