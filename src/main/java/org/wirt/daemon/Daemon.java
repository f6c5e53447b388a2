package org.wirt.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.command.CommandExecutor;
import org.wirt.config.Config;
import org.wirt.config.ConsoleConfig;
import org.wirt.console.ConsoleLogs;
import org.wirt.console.ConsoleServer;
import org.wirt.hypervisor.DomainStatus;
import org.wirt.hypervisor.Hypervisor;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.LifecycleEvent;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.posix.Inotify;
import org.wirt.provision.Provisioner;
import org.wirt.provision.Quotas;
import org.wirt.queue.Journal;
import org.wirt.queue.Scheduler;
import org.wirt.queue.VmKey;
import org.wirt.status.Notifier;
import org.wirt.status.Recorder;
import org.wirt.threads.ThreadFailures;
import org.wirt.tree.EntryName;
import org.wirt.tree.HomeTree;
import org.wirt.users.Members;
import org.wirt.watch.WatchListener;
import org.wirt.watch.Watcher;

/**
 * The running daemon: its threads and how events flow between them.
 *
 * <ul>
 *   <li>the watcher thread turns inotify events into signals for the scheduler;
 *   <li>{@code workers} threads each take a VM from the scheduler and serve one command of it;
 *   <li>the sweep thread reads the group's members again, scans every tree every {@code
 *       sweepIntervalSeconds} and on request (an overflow, a new VM directory);
 *   <li>the events thread turns libvirt lifecycle events into {@code status.json} updates;
 *   <li>the timer thread waits for guests that were asked to shut down.
 * </ul>
 *
 * All of them are platform threads, because file access in a home switches the thread's
 * filesystem identity (SPEC 8).
 */
public final class Daemon implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Daemon.class);

  private volatile Config config;
  private volatile Members members;
  private final Hypervisor hypervisor;
  private final Clock clock;
  private final Roster roster;
  private final Scheduler scheduler = new Scheduler();
  private final Owners owners;
  private final Watcher watcher;
  private final StatusKeeper statuses;
  private final UserScanner scanner;
  private final Rejector rejector;
  private final VmServer server;
  private final CommandExecutor executor;
  private final Recovery recovery;
  private final Provisioner provisioner;
  private final ThreadFailures failures = ThreadFailures.process();
  private final ScheduledExecutorService sweeper = failures.executor("wirt-sweep");
  private final ScheduledExecutorService timer = failures.executor("wirt-timer");
  private final ExecutorService events = failures.executor("wirt-events");
  private final List<Thread> workers = new ArrayList<>();
  private final Set<String> rescans = ConcurrentHashMap.newKeySet();
  private final java.util.concurrent.atomic.AtomicBoolean overflowSweep =
      new java.util.concurrent.atomic.AtomicBoolean();
  private final Thread watcherThread;
  private volatile Instant membersRead = Instant.MIN;
  /**
   * How often the periodic sweep reads every domain's ownership from libvirt (50,000 domains take
   * about a second). Between these, define and undefine events, {@code wirtctl assign} and
   * {@code unassign}, a reload and a reconnect read it at once, and a command for a VM the index
   * does not know reads it ({@link Owners#find}).
   */
  static final Duration OWNERSHIP_RECHECK = Duration.ofMinutes(5);
  private volatile Instant ownershipRead = Instant.MIN;
  private volatile Instant lastSweep = Instant.MIN;
  private volatile long lastSweepMs;
  private volatile boolean libvirtUp = true;
  private final java.util.concurrent.atomic.AtomicBoolean draining =
      new java.util.concurrent.atomic.AtomicBoolean();
  private final AtomicInteger busy = new AtomicInteger();
  private final Heartbeat heartbeat;
  private final Recorder recorder;
  private final ScheduledExecutorService guests = failures.executor("wirt-guests");
  private final ConsoleLogs consoleLogs;
  private volatile Optional<ConsoleServer> consoles = Optional.empty();
  private final Instant started;

  public Daemon(Config config, Members members, Hypervisor hypervisor, Inotify inotify,
      Journal journal, Recorder recorder, Notifier notifier, Clock clock) {
    this.config = Objects.requireNonNull(config, "config");
    this.members = Objects.requireNonNull(members, "members");
    this.hypervisor = Objects.requireNonNull(hypervisor, "hypervisor");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.recorder = Objects.requireNonNull(recorder, "recorder");
    this.roster = new Roster(config.treeDir(), clock);
    this.owners = new Owners(hypervisor, clock);
    this.watcher = new Watcher(inotify, new Signals(), config.limits().watchesPerUser());
    this.provisioner = new Provisioner(hypervisor, config.images(),
        new Quotas(config.quotas()), config.domainNamePattern(), Daemon::isMember, clock,
        config.console().logDir());
    this.statuses = new StatusKeeper(hypervisor, owners, recorder, notifier, journal, provisioner,
        clock, config.limits());
    this.rejector = new Rejector(statuses, clock, config.limits());
    this.scanner = new UserScanner(owners, watcher, scheduler, statuses, rejector, clock);
    this.executor = new CommandExecutor(hypervisor, timer, clock);
    this.server = new VmServer(roster, scheduler, owners, executor, statuses, rejector, journal,
        clock, timer, config.maxCommandBytes(), this::requestRescan, provisioner);
    this.recovery = new Recovery(journal, roster, owners, executor, statuses, recorder, clock);
    this.watcherThread = daemonThread("wirt-watch", watcher);
    this.heartbeat = new Heartbeat(clock, config.sweepInterval(), watcher);
    this.started = clock.instant();
    this.consoleLogs = new ConsoleLogs(config.console());
  }

  /** Whether the user is in the group (by NSS), for quotas given per group. */
  private static boolean isMember(org.wirt.tree.Identity user, String group) {
    return org.wirt.posix.Nss.system().group(group)
        .map(g -> g.gid() == user.gid()
            || java.util.Arrays.stream(user.groups()).anyMatch(id -> id == g.gid())
            || g.members().contains(user.user()))
        .orElse(false);
  }

  /** Reads ownership and members, starts every thread and runs the first sweep. */
  public void start() throws HypervisorException {
    owners.refresh();
    ownershipRead = clock.instant();
    readMembers();
    int recovered = recovery.run();
    if (recovered > 0) {
      log.info("recovered journal entries count={}", recovered);
    }
    hypervisor.onLifecycle(e -> events.execute(() -> lifecycle(e)));
    watcherThread.start();
    for (int i = 0; i < config.workers(); i++) {
      Thread worker = daemonThread("wirt-worker-" + i, this::work);
      workers.add(worker);
      worker.start();
    }
    sweeper.scheduleWithFixedDelay(() -> sweep(false), 0, config.sweepIntervalSeconds(),
        TimeUnit.SECONDS);
    startConsoles();
    log.info("wirtd started workers={} sweepIntervalSeconds={} libvirt={}", config.workers(),
        config.sweepIntervalSeconds(), config.libvirtUri());
  }

  /**
   * Opens the users' console sockets and starts the guest watch: every {@code
   * console.addressPollSeconds}, running VMs' statuses are read again (a DHCP lease raises no
   * event) and their console logs copied into their owners' trees. Without a console directory
   * (a demo as a plain user) wirtd runs on without consoles.
   */
  private void startConsoles() {
    ConsoleConfig c = config.console();
    try {
      Files.createDirectories(c.logDir());
      consoles = Optional.of(new ConsoleServer(c, config.libvirtUri(),
          (user, vm) -> {
            try {
              return owners.find(user, vm).map(d -> new ConsoleServer.Target(
                  d.uuid(), d.name()));
            } catch (HypervisorException e) {
              return Optional.empty();
            }
          }, recorder::auditNote, clock));
    } catch (IOException e) {
      log.warn("consoles unavailable runDir={} logDir={}", c.runDir(), c.logDir(), e);
    }
    guests.scheduleWithFixedDelay(failures.guard("wirt-guests", this::watchGuests),
        c.addressPoll().toMillis(), c.addressPoll().toMillis(), TimeUnit.MILLISECONDS);
  }

  private void watchGuests() {
    for (HomeTree tree : roster.all()) {
      consoles.ifPresent(s -> s.serve(tree.identity()));
      statuses.refreshRunning(tree);
      for (ManagedDomain d : owners.ownedBy(tree.identity())) {
        consoleLogs.copy(tree, d.owner().vm(), d.name());
      }
    }
  }

  /** Runs a thorough sweep now (on the sweep thread) and waits for it. */
  public void sweepNow() throws InterruptedException {
    sweepNow(true);
  }

  /**
   * Runs a sweep now and waits for it: thorough (every check), or as the periodic sweep does it
   * (checks done recently left out, see {@link UserScanner#SKELETON_RECHECK}).
   */
  public void sweepNow(boolean thorough) throws InterruptedException {
    CompletableFuture<Void> done = new CompletableFuture<>();
    sweeper.execute(() -> {
      sweep(thorough);
      done.complete(null);
    });
    try {
      done.get(5, TimeUnit.MINUTES);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("sweep did not finish", e);
    }
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
    check(restart, "stateDir", old.stateDir(), next.stateDir());
    check(restart, "logDir", old.logDir(), next.logDir());
    check(restart, "workers", old.workers(), next.workers());
    check(restart, "sweepIntervalSeconds", old.sweepIntervalSeconds(), next.sweepIntervalSeconds());
    check(restart, "maxCommandBytes", old.maxCommandBytes(), next.maxCommandBytes());
    check(restart, "domainNamePattern", old.domainNamePattern(), next.domainNamePattern());
    check(restart, "limits", old.limits(), next.limits());
    config = next;
    members = nextMembers;
    provisioner.reload(next.quotas());
    if (!restart.isEmpty()) {
      log.warn("reload: changed keys take effect at the next restart keys={}", restart);
    }
    log.info("configuration reloaded group={} users={}", next.group(), next.users().keySet());
    sweeper.execute(() -> {
      readMembers();
      sweep();
    });
  }

  private static void check(List<String> restart, String key, Object before, Object after) {
    if (!before.equals(after)) {
      restart.add(key);
    }
  }

  /** Reads the group's members now (tests; the sweep does it every membersRefreshSeconds). */
  public void readMembersNow() throws InterruptedException {
    CompletableFuture<Void> done = new CompletableFuture<>();
    sweeper.execute(() -> {
      readMembers();
      done.complete(null);
    });
    try {
      done.get(1, TimeUnit.MINUTES);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("reading members did not finish", e);
    }
  }

  /**
   * libvirt was lost or is back ({@code ReconnectingHypervisor}). While it is away, commands stay
   * where they are (checking them needs libvirt) and {@code status.json} says so; once it is back,
   * a sweep refreshes ownership and every status and picks the waiting commands up.
   */
  public void libvirtConnectivity(boolean up) {
    libvirtUp = up;
    sweeper.execute(() -> {
      if (up) {
        provisioner.forgetAll();
        sweep();
        return;
      }
      for (HomeTree tree : roster.all()) {
        for (ManagedDomain d : owners.ownedBy(tree.identity())) {
          statuses.unreachable(tree, d.owner().vm());
        }
      }
    });
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
  public void drain(boolean on) {
    if (draining.getAndSet(on) != on) {
      log.info(on ? "draining: no new commands are taken; running={}" : "drain ended running={}",
          busy.get());
      sweeper.execute(() -> roster.all().forEach(t -> heartbeat.beat(t, true, on)));
      if (!on) {
        sweeper.execute(this::sweep);
      }
    }
  }

  /** What {@code wirtctl status} shows. */
  public DaemonReport.Overview overview() {
    return new DaemonReport.Overview(ProcessHandle.current().pid(), started.toString(),
        config.libvirtUri(), libvirtUp, draining.get(), config.workers(), busy.get(),
        roster.size(), watcher.watchCount(),
        lastSweep.equals(Instant.MIN) ? null : lastSweep.toString(), lastSweepMs,
        new java.util.TreeMap<>(scheduler.depths()));
  }

  /** What {@code wirtctl users} shows: every served user, their watch mode and VMs. */
  public List<DaemonReport.UserLine> users() {
    Map<String, Integer> depths = scheduler.depths();
    List<DaemonReport.UserLine> lines = new ArrayList<>();
    for (HomeTree tree : roster.all()) {
      String user = tree.identity().user();
      boolean exists;
      try {
        exists = tree.exists();
      } catch (java.io.IOException e) {
        exists = false;
      }
      lines.add(new DaemonReport.UserLine(user, tree.identity().uid(), tree.root().toString(),
          exists, !exists ? "none" : watcher.isSweepOnly(user) ? "sweep-only"
              : watcher.unwatchedOverCap(user) > 0 ? "partly-swept" : "inotify",
          owners.ownedBy(tree.identity()).size(), depths.getOrDefault(user, 0)));
    }
    return lines;
  }

  /** What {@code wirtctl queue [user]} shows: command files waiting, per VM. */
  public List<DaemonReport.QueueLine> queue(Optional<String> onlyUser) {
    List<DaemonReport.QueueLine> lines = new ArrayList<>();
    for (HomeTree tree : roster.all()) {
      String user = tree.identity().user();
      if (onlyUser.isPresent() && !onlyUser.get().equals(user)) {
        continue;
      }
      try {
        if (!tree.exists()) {
          continue;
        }
        for (org.wirt.tree.Entry e : tree.listVmDirectories()) {
          Optional<String> vm = e.name().text().filter(org.wirt.command.Names::isVm);
          if (vm.isEmpty() || e.type() != org.wirt.tree.EntryType.DIRECTORY) {
            continue;
          }
          HomeTree.Listing l = tree.oldestCommands(vm.get(), 1,
              java.util.Comparator.comparingLong(org.wirt.tree.Entry::mtimeNanos));
          if (l.total() > 0) {
            lines.add(new DaemonReport.QueueLine(user, vm.get(), l.total(),
                l.oldest().get(0).name().toString()));
          }
        }
      } catch (java.io.IOException e) {
        log.warn("cannot list the queue of user={}: {}", user, e.getMessage());
      }
    }
    return lines;
  }

  /** Returns the number of commands running now. */
  public int running() {
    return busy.get();
  }

  private void work() {
    String thread = Thread.currentThread().getName();
    while (!scheduler.isClosed()) {
      try {
        if (!workTurn()) {
          return;
        }
      } catch (Throwable e) {
        failures.caught(thread, e);
      }
    }
  }

  /**
   * Takes one VM and serves one command of it. Whatever serving throws, the VM is released (a VM
   * never released would never be served again) and the failure goes to {@link ThreadFailures}.
   *
   * @return false once the worker is interrupted
   */
  private boolean workTurn() {
    Optional<VmKey> next;
    try {
      if (draining.get()) {
        // Queued commands stay where they are until `wirtctl drain --off` or a restart.
        Thread.sleep(200);
        return true;
      }
      next = scheduler.take(1, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      return false;
    }
    if (next.isEmpty()) {
      return true;
    }
    VmKey key = next.get();
    if (draining.get()) {
      // Taken just as draining began: give it back untouched.
      scheduler.release(key, true);
      return true;
    }
    CompletableFuture<Boolean> turn;
    busy.incrementAndGet();
    try {
      turn = server.serve(key);
    } catch (Throwable e) {
      turn = CompletableFuture.failedFuture(e);
    }
    turn.whenComplete((more, error) -> {
      busy.decrementAndGet();
      scheduler.release(key, Boolean.TRUE.equals(more));
      if (error != null) {
        failures.caught("serving user=" + key.user() + " vm=" + key.vm(), error);
      }
    });
    return true;
  }

  private void sweep() {
    sweep(true);
  }

  private void sweep(boolean thorough) {
    try {
      Instant now = clock.instant();
      if (!now.isBefore(membersRead.plus(config.membersRefresh()))) {
        readMembers();
      }
      if (thorough || !now.isBefore(ownershipRead.plus(OWNERSHIP_RECHECK))) {
        try {
          owners.refresh();
          ownershipRead = now;
        } catch (HypervisorException e) {
          log.warn("cannot read domain ownership: {}", e.getMessage());
        }
      }
      // The first sweep queues what waits in every tree before it writes any status: a command
      // in the last of 1,000 trees is served a second sooner.
      boolean first = lastSweep.equals(Instant.MIN);
      List<HomeTree> scanned = new ArrayList<>();
      for (HomeTree tree : roster.all()) {
        // Later sweeps beat for every tree, as before; the first only for trees it found.
        if (scanner.scan(tree, thorough, first) || !first) {
          scanned.add(tree);
        }
      }
      for (HomeTree tree : scanned) {
        if (first) {
          statuses.refreshAll(tree, true);
        }
        heartbeat.beat(tree, false, draining.get());
        rejector.summarise(tree);
      }
      statuses.retryPending();
      lastSweep = clock.instant();
      lastSweepMs = Duration.between(now, lastSweep).toMillis();
      log.debug("sweep done users={} ms={}", roster.size(),
          Duration.between(now, lastSweep).toMillis());
    } catch (Throwable e) {
      // Caught here, not only by the executor: a periodic task that throws is never run again.
      failures.caught("wirt-sweep", e);
    }
  }

  /**
   * Reads every domain's ownership again and sweeps, so that a VM just assigned or taken back
   * shows in its user's tree at once ({@code wirtctl assign} and {@code unassign} ask for this).
   */
  public void ownershipChanged() {
    sweeper.execute(() -> {
      try {
        owners.refresh();
        ownershipRead = clock.instant();
      } catch (HypervisorException e) {
        log.warn("cannot read domain ownership: {}", e.getMessage());
      }
      sweep(false);
    });
  }

  private void readMembers() {
    Set<String> gone = roster.update(members.current());
    membersRead = clock.instant();
    for (String user : gone) {
      log.info("user={} is no longer a member; their commands stay untouched", user);
      watcher.forget(user);
      heartbeat.forget(user);
      rejector.forget(user);
      consoles.ifPresent(s -> s.forget(user));
    }
  }

  private void requestRescan(String user) {
    if (rescans.add(user)) {
      sweeper.execute(() -> {
        rescans.remove(user);
        roster.tree(user).ifPresent(scanner::scan);
      });
    }
  }

  private void lifecycle(LifecycleEvent event) {
    try {
      Optional<ManagedDomain> before = owners.byUuid(event.uuid());
      if (event.type().equals("defined") || event.type().equals("undefined")) {
        owners.refresh();
      }
      executor.poke(event.uuid());
      Optional<ManagedDomain> domain = owners.byUuid(event.uuid()).or(() -> before);
      if (domain.isEmpty()) {
        return;
      }
      ManagedDomain d = domain.get();
      Optional<HomeTree> tree = roster.tree(d.owner().user())
          .filter(t -> t.identity().uid() == d.owner().uid());
      if (tree.isEmpty()) {
        return;
      }
      statuses.lifecycle(tree.get(), d, event);
    } catch (HypervisorException | RuntimeException e) {
      log.warn("lifecycle event not applied uuid={} type={}: {}", event.uuid(), event.type(),
          e.getMessage());
    } catch (Error e) {
      failures.caught("lifecycle event uuid=" + event.uuid() + " type=" + event.type(), e);
    }
  }

  /** Stops taking commands, lets running ones finish (briefly), and stops every thread. */
  @Override
  public void close() {
    log.info("wirtd stopping");
    draining.set(true);
    scheduler.close();
    watcher.close();
    sweeper.shutdownNow();
    for (Thread worker : workers) {
      try {
        worker.join(TimeUnit.SECONDS.toMillis(30));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    heartbeat.stopped(roster.all());
    guests.shutdownNow();
    consoles.ifPresent(ConsoleServer::close);
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
      requestRescan(user);
    }

    @Override
    public void entryArrived(VmKey key, EntryName name, boolean complete) {
      if (complete) {
        server.complete(key, name);
      }
      scheduler.signal(key);
    }

    @Override
    public void overflow() {
      // Many overflows in a row need one sweep, not one each.
      if (overflowSweep.compareAndSet(false, true)) {
        sweeper.execute(() -> {
          overflowSweep.set(false);
          sweep(false);
        });
      }
    }
  }

  private static Thread daemonThread(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    return t;
  }
}
