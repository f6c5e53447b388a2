package org.wirt.serve;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.status.Heartbeat;
import org.wirt.status.StatusKeeper;
import org.wirt.threads.ThreadFailures;
import org.wirt.tree.HomeTree;
import org.wirt.users.Members;

/**
 * The sweep thread (SPEC 4): reads the group's members again every {@code membersRefresh}, scans
 * every tree every {@code sweepIntervalSeconds} and on request (an overflow, a new VM directory,
 * a reload, libvirt back), so a lost event delays a command to the next sweep and never loses it.
 */
public final class Sweeper {
  private static final Logger log = LoggerFactory.getLogger(Sweeper.class);

  /**
   * How often the periodic sweep reads every domain's ownership from libvirt (50,000 domains take
   * about a second). Between these, define and undefine events, {@code wirtctl assign} and
   * {@code unassign}, a reload and a reconnect read it at once, and a command for a VM the index
   * does not know reads it ({@link Owners#find}).
   */
  static final Duration OWNERSHIP_RECHECK = Duration.ofMinutes(5);

  private final Roster roster;
  private final Owners owners;
  private final UserScanner scanner;
  private final StatusKeeper statuses;
  private final Rejector rejector;
  private final Heartbeat heartbeat;
  private final Consumer<String> forget;
  private final BooleanSupplier draining;
  private final ScheduledExecutorService executor;
  private final ThreadFailures failures;
  private final Clock clock;
  private final Set<String> rescans = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean overflowSweep = new AtomicBoolean();
  private volatile Members members;
  private volatile Duration membersRefresh;
  private volatile Instant membersRead = Instant.MIN;
  private volatile Instant ownershipRead = Instant.MIN;
  private volatile Instant lastSweep = Instant.MIN;
  private volatile long lastSweepMs;

  /**
   * @param forget drops what wirtd keeps of a user who is no longer served
   * @param draining whether commands are not taken now, as the heartbeat tells users
   * @param executor the sweep thread
   */
  public Sweeper(Roster roster, Owners owners, UserScanner scanner, StatusKeeper statuses,
      Rejector rejector, Heartbeat heartbeat, Consumer<String> forget, BooleanSupplier draining,
      ScheduledExecutorService executor, ThreadFailures failures, Clock clock, Members members,
      Duration membersRefresh) {
    this.roster = Objects.requireNonNull(roster, "roster");
    this.owners = Objects.requireNonNull(owners, "owners");
    this.scanner = Objects.requireNonNull(scanner, "scanner");
    this.statuses = Objects.requireNonNull(statuses, "statuses");
    this.rejector = Objects.requireNonNull(rejector, "rejector");
    this.heartbeat = Objects.requireNonNull(heartbeat, "heartbeat");
    this.forget = Objects.requireNonNull(forget, "forget");
    this.draining = Objects.requireNonNull(draining, "draining");
    this.executor = Objects.requireNonNull(executor, "executor");
    this.failures = Objects.requireNonNull(failures, "failures");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.members = Objects.requireNonNull(members, "members");
    this.membersRefresh = Objects.requireNonNull(membersRefresh, "membersRefresh");
  }

  /** Reads ownership and members, before anything is served (here, not on the sweep thread). */
  public void prepare() throws HypervisorException {
    owners.refresh();
    ownershipRead = clock.instant();
    readMembers();
  }

  /** Sweeps now and then every {@code interval}, as the periodic sweep does it. */
  public void start(Duration interval) {
    executor.scheduleWithFixedDelay(() -> sweep(false), 0, interval.toSeconds(),
        TimeUnit.SECONDS);
  }

  /**
   * Runs a sweep now and waits for it: thorough (every check), or as the periodic sweep does it
   * (checks done recently left out, see {@link UserScanner#SKELETON_RECHECK}).
   */
  public void sweepNow(boolean thorough) throws InterruptedException {
    await(() -> sweep(thorough), Duration.ofMinutes(5), "sweep did not finish");
  }

  /** Reads the group's members now and waits for it (tests; the sweep does it as due). */
  public void readMembersNow() throws InterruptedException {
    await(this::readMembers, Duration.ofMinutes(1), "reading members did not finish");
  }

  /** Takes who is served and how often that is read again, then reads it and sweeps. */
  public void reload(Members next, Duration nextMembersRefresh) {
    members = Objects.requireNonNull(next, "next");
    membersRefresh = Objects.requireNonNull(nextMembersRefresh, "nextMembersRefresh");
    executor.execute(() -> {
      readMembers();
      sweep(true);
    });
  }

  /**
   * libvirt was lost or is back: while it is away, {@code status.json} says so; once it is back,
   * a thorough sweep refreshes ownership and every status and picks the waiting commands up.
   */
  public void libvirtConnectivity(boolean up) {
    executor.execute(() -> {
      if (up) {
        statuses.forgetFacts();
        sweep(true);
        return;
      }
      for (HomeTree tree : roster.all()) {
        for (ManagedDomain d : owners.ownedBy(tree.identity())) {
          statuses.unreachable(tree, d.owner().vm());
        }
      }
    });
  }

  /** Draining began or ended: every user's heartbeat says so; once it ended, a sweep follows. */
  public void drainChanged(boolean on) {
    executor.execute(() -> roster.all().forEach(t -> heartbeat.beat(t, true, on)));
    if (!on) {
      executor.execute(() -> sweep(true));
    }
  }

  /**
   * Reads every domain's ownership again and sweeps, so that a VM just assigned or taken back
   * shows in its user's tree at once ({@code wirtctl assign} and {@code unassign} ask for this).
   */
  public void ownershipChanged() {
    executor.execute(() -> {
      readOwnership(clock.instant());
      sweep(false);
    });
  }

  /** Scans the user's tree soon (its VM directories changed, or one could not be listed). */
  public void rescan(String user) {
    if (rescans.add(user)) {
      executor.execute(() -> {
        rescans.remove(user);
        roster.tree(user).ifPresent(scanner::scan);
      });
    }
  }

  /** inotify lost events: one sweep soon, however many overflows come in a row. */
  public void overflow() {
    if (overflowSweep.compareAndSet(false, true)) {
      executor.execute(() -> {
        overflowSweep.set(false);
        sweep(false);
      });
    }
  }

  /** When the last sweep ended, if one did. */
  public Optional<Instant> lastSweep() {
    Instant last = lastSweep;
    return last.equals(Instant.MIN) ? Optional.empty() : Optional.of(last);
  }

  /** How long the last sweep took. */
  public long lastSweepMs() {
    return lastSweepMs;
  }

  /** Stops the sweep thread. */
  public void stop() {
    executor.shutdownNow();
  }

  private void sweep(boolean thorough) {
    try {
      Instant now = clock.instant();
      if (!now.isBefore(membersRead.plus(membersRefresh))) {
        readMembers();
      }
      if (thorough || !now.isBefore(ownershipRead.plus(OWNERSHIP_RECHECK))) {
        readOwnership(now);
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
        heartbeat.beat(tree, false, draining.getAsBoolean());
        rejector.summarise(tree);
      }
      statuses.retryPending();
      lastSweep = clock.instant();
      lastSweepMs = Duration.between(now, lastSweep).toMillis();
      log.debug("sweep done users={} ms={}", roster.size(), lastSweepMs);
    } catch (Throwable e) {
      // Caught here, not only by the executor: a periodic task that throws is never run again.
      failures.caught("wirt-sweep", e);
    }
  }

  private void readOwnership(Instant now) {
    try {
      owners.refresh();
      ownershipRead = now;
    } catch (HypervisorException e) {
      log.warn("cannot read domain ownership", e);
    }
  }

  private void readMembers() {
    Set<String> gone = roster.update(members.current());
    membersRead = clock.instant();
    for (String user : gone) {
      log.info("user={} is no longer a member; their commands stay untouched", user);
      forget.accept(user);
    }
  }

  private void await(Runnable task, Duration max, String what) throws InterruptedException {
    CompletableFuture<Void> done = new CompletableFuture<>();
    executor.execute(() -> {
      task.run();
      done.complete(null);
    });
    try {
      done.get(max.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(what, e);
    }
  }
}
