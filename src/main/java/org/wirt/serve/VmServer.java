package org.wirt.serve;

import org.wirt.status.StatusKeeper;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.command.Command;
import org.wirt.command.CommandExecutor;
import org.wirt.command.CommandName;
import org.wirt.command.CommandParser;
import org.wirt.command.Refusal;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.provision.Provisioner;
import org.wirt.journal.Journal;
import org.wirt.queue.Scheduler;
import org.wirt.queue.VmKey;
import org.wirt.status.Outcome;
import org.wirt.status.Result;
import org.wirt.threads.ThreadFailures;
import org.wirt.tree.Entry;
import org.wirt.tree.EntryName;
import org.wirt.tree.EntryType;
import org.wirt.tree.FileFacts;
import org.wirt.tree.HomeTree;
import org.wirt.tree.Identity;
import org.wirt.tree.ReadResult;

/**
 * Serves one command of one VM per turn: picks the oldest entry of the VM's directory, checks it,
 * claims it, performs it and records the outcome (SPEC 4, 6, 7).
 */
public final class VmServer {
  private static final Logger log = LoggerFactory.getLogger(VmServer.class);

  /**
   * How long a regular file nobody announced as complete must stay unchanged before it is taken:
   * a file that was created but not yet closed may still be being written.
   */
  static final Duration SETTLE = Duration.ofSeconds(2);

  /** How many entries of one directory are kept sorted between listings. */
  static final int BACKLOG = 512;

  private final Roster roster;
  private final Scheduler scheduler;
  private final Owners owners;
  private final CommandExecutor executor;
  private final StatusKeeper statuses;
  private final Rejector rejector;
  private final Journal journal;
  private final Clock clock;
  private final ScheduledExecutorService timer;
  private final int maxCommandBytes;
  private final Consumer<String> rescanUser;
  private final Provisioner provisioner;
  private final Map<VmKey, Backlog> backlogs = new ConcurrentHashMap<>();

  /** What a VM's last listing found, oldest first, and which names inotify said are complete. */
  private static final class Backlog {
    final ArrayDeque<Entry> pending = new ArrayDeque<>();
    final Set<EntryName> complete = new HashSet<>();
    boolean truncated;
  }

  public VmServer(Roster roster, Scheduler scheduler, Owners owners, CommandExecutor executor,
      StatusKeeper statuses, Rejector rejector, Journal journal, Clock clock,
      ScheduledExecutorService timer, int maxCommandBytes,
      Consumer<String> rescanUser, Provisioner provisioner) {
    this.provisioner = provisioner;
    this.roster = roster;
    this.scheduler = scheduler;
    this.owners = owners;
    this.executor = executor;
    this.statuses = statuses;
    this.rejector = rejector;
    this.journal = journal;
    this.clock = clock;
    this.timer = timer;
    this.maxCommandBytes = maxCommandBytes;
    this.rescanUser = rescanUser;
  }

  /** Notes that inotify saw this entry closed or renamed into place: its content is final. */
  public void complete(VmKey key, EntryName name) {
    Backlog b = backlogs.computeIfAbsent(key, k -> new Backlog());
    synchronized (b) {
      if (b.complete.size() < 4 * BACKLOG) {
        b.complete.add(name);
      }
    }
  }

  /**
   * Serves the VM's next command.
   *
   * @return a future completed, when the command has finished and its outcome is recorded, with
   *     whether the VM may have more commands
   */
  public CompletableFuture<Boolean> serve(VmKey key) {
    Optional<HomeTree> tree = roster.tree(key.user());
    if (tree.isEmpty()) {
      // The user left the group: their commands stay where they are, untouched.
      backlogs.remove(key);
      return CompletableFuture.completedFuture(false);
    }
    Backlog backlog = backlogs.computeIfAbsent(key, k -> new Backlog());
    Entry entry;
    boolean more;
    try {
      synchronized (backlog) {
        if (scheduler.takeDirty(key) || backlog.pending.isEmpty()) {
          relist(tree.get(), key.vm(), backlog);
        }
        entry = next(key, backlog);
        more = !backlog.pending.isEmpty() || backlog.truncated;
      }
    } catch (NoSuchFileException e) {
      backlogs.remove(key);
      return CompletableFuture.completedFuture(false);
    } catch (IOException e) {
      log.warn("cannot list user={} vm={}: {}", key.user(), key.vm(), e.getMessage());
      backlogs.remove(key);
      rescanUser.accept(key.user());
      return CompletableFuture.completedFuture(false);
    }
    if (entry == null) {
      return CompletableFuture.completedFuture(more);
    }
    return handle(tree.get(), key.vm(), entry).thenApply(done -> more);
  }

  private void relist(HomeTree tree, String vm, Backlog backlog) throws IOException {
    long now = nanos(clock.instant());
    // Oldest first by modification time; a time in the future counts as now; ties by name.
    Comparator<Entry> order = Comparator.<Entry>comparingLong(e -> Math.min(e.mtimeNanos(), now))
        .thenComparing((a, b) -> Arrays.compareUnsigned(a.name().raw(), b.name().raw()));
    HomeTree.Listing listing = tree.oldestCommands(vm, BACKLOG, order);
    backlog.pending.clear();
    backlog.pending.addAll(listing.oldest());
    backlog.truncated = listing.total() > BACKLOG || listing.capped();
  }

  /** Takes the first entry that may be served now, or null; defers files still being written. */
  private Entry next(VmKey key, Backlog backlog) {
    long now = nanos(clock.instant());
    boolean deferred = false;
    for (Iterator<Entry> it = backlog.pending.iterator(); it.hasNext(); ) {
      Entry e = it.next();
      long age = now - e.mtimeNanos();
      // A time in the future counts as now for ordering, but must not defer the file forever.
      boolean young = age >= 0 && age < SETTLE.toNanos();
      if (e.type() == EntryType.REGULAR && young && !backlog.complete.contains(e.name())) {
        deferred = true;
        continue;
      }
      it.remove();
      backlog.complete.remove(e.name());
      return e;
    }
    if (deferred) {
      timer.schedule(() -> scheduler.signal(key), SETTLE.toMillis(), TimeUnit.MILLISECONDS);
    }
    return null;
  }

  /** Checks, claims, performs and records one entry. */
  private CompletableFuture<Void> handle(HomeTree tree, String vm, Entry entry) {
    Instant started = clock.instant();
    String user = tree.identity().user();
    String where = "command/vm/" + vm + "/" + entry.name().display();
    CommandName name;
    Command command;
    ManagedDomain domain;
    Provisioner.Plan plan = null;
    java.nio.file.Path consolidate = null;
    ReadResult.Content content;
    try {
      Optional<String> overBudget = statuses.overBudget(tree);
      if (overBudget.isPresent()) {
        throw new Refusal(overBudget.get());
      }
      String text = entry.name().text().orElseThrow(() -> new Refusal(
          "the name is not UTF-8 text or holds control characters; a command file is named "
              + "<verb> or <verb>.<tag>"));
      name = CommandName.parse(text);
      ReadResult read = tree.readCommand(vm, entry.name(), maxCommandBytes);
      if (read instanceof ReadResult.Refused refused) {
        throw new Refusal(refused.problem());
      }
      content = (ReadResult.Content) read;
      command = CommandParser.parse(name.verb(), content.bytes());
      Optional<ManagedDomain> found = owners.find(tree.identity(), vm);
      if (command instanceof Command.Create create) {
        if (found.isPresent()) {
          throw new Refusal("VM '" + vm + "' exists already (domain " + found.get().name()
              + "); write 'delete' first to replace it, or create another VM name");
        }
        plan = provisioner.plan(tree, vm, create, owners.ownedBy(tree.identity()));
        domain = null;
      } else {
        domain = found.orElseThrow(() -> new Refusal("VM '" + vm
            + "' is not yours: no domain carries owner metadata for " + user + "/" + vm
            + "; ask an admin to run `wirtctl assign <domain> " + user + " " + vm + "`"
            + (name.verb() == org.wirt.command.Verb.START ? ", or write 'create'" : "")));
        if (command instanceof Command.Start) {
          provisioner.checkStart(tree.identity(), domain, owners.ownedBy(tree.identity()));
        } else if (command instanceof Command.Config config) {
          provisioner.checkConfig(tree.identity(), domain, config);
        } else if (command instanceof Command.Snapshot || command instanceof Command.Revert
            || command instanceof Command.SnapshotDelete) {
          provisioner.checkSnapshot(tree.identity(), domain, command,
              owners.ownedBy(tree.identity()));
        } else if (command instanceof Command.Consolidate) {
          consolidate = provisioner.checkConsolidate(domain);
        }
      }
    } catch (Refusal r) {
      rejector.reject(tree, vm, entry.name(), r.getMessage(), started);
      return CompletableFuture.completedFuture(null);
    } catch (NoSuchFileException e) {
      return CompletableFuture.completedFuture(null);
    } catch (IOException | HypervisorException e) {
      log.warn("cannot check user={} entry={}: {}", user, where, e.getMessage());
      return CompletableFuture.completedFuture(null);
    }
    Journal.Claim claim;
    try {
      FileFacts facts = content.facts();
      // A create has no domain yet: its claim names the domain it will define, without UUID.
      claim = journal.claim(user, tree.identity().uid(), vm,
          domain == null ? plan.domain() : domain.name(),
          domain == null ? null : domain.uuid().toString(), name.verb().fileName(), name.tag(),
          entry.name().display(), facts.dev(), facts.ino(), content.bytes(), started.toString());
    } catch (IOException e) {
      log.error("cannot write the journal, the command stays queued user={} entry={}: {}", user,
          where, e.getMessage());
      return CompletableFuture.completedFuture(null);
    }
    try {
      if (!tree.removeCommand(vm, entry.name(), content.facts())) {
        log.info("withdrawn before it ran user={} entry={}", user, where);
        statuses.withdrawn(claim.id());
        return CompletableFuture.completedFuture(null);
      }
    } catch (IOException e) {
      log.warn("cannot remove user={} entry={}: {}", user, where, e.getMessage());
      statuses.withdrawn(claim.id());
      return CompletableFuture.completedFuture(null);
    }
    String domainName = domain == null ? plan.domain() : domain.name();
    log.info("running user={} vm={} verb={} tag={} domain={} sinceWrittenMs={}", user, vm,
        name.verb().fileName(), name.tag(), domainName,
        String.format("%.3f", (nanos(clock.instant()) - entry.mtimeNanos()) / 1e6));
    ManagedDomain[] acted = {domain};
    CompletableFuture<String> running;
    try {
      running = run(tree, vm, command, domain, plan, consolidate, acted);
    } catch (RuntimeException | Error e) {
      // Claimed and removed: it must end with an outcome. Out of memory halts here instead.
      ThreadFailures.process().caught("running user=" + user + " vm=" + vm + " verb="
          + name.verb().fileName(), e);
      running = CompletableFuture.failedFuture(e);
    }
    return running.handle((message, error) -> {
      Outcome outcome = error == null
          ? outcome(user, vm, domainName, name, Result.OK, message, started)
          : outcome(user, vm, domainName, name, Result.FAILED, failure(error), started);
      statuses.finished(claim.id(), tree, vm, acted[0], outcome);
      return null;
    });
  }

  /**
   * Runs a provisioning verb here (it changes which domains exist, so ownership is read again
   * after it), any other through the executor; {@code acted[0]} ends as the domain to report on.
   */
  private CompletableFuture<String> run(HomeTree tree, String vm, Command command,
      ManagedDomain domain, Provisioner.Plan plan, java.nio.file.Path consolidate,
      ManagedDomain[] acted) {
    Identity identity = tree.identity();
    try {
      if (plan != null) {
        ManagedDomain made = provisioner.create(plan);
        acted[0] = made;
        refreshOwners();
        return CompletableFuture.completedFuture("created " + made.name() + " from image "
            + plan.image().name() + " (" + plan.vcpus() + " vCPUs, " + plan.memoryMiB()
            + " MiB, " + plan.diskGiB() + " GiB); write 'start' to boot it");
      }
      if (command instanceof Command.Config config) {
        return CompletableFuture.completedFuture(provisioner.configure(domain, config));
      }
      if (command instanceof Command.Snapshot || command instanceof Command.Revert
          || command instanceof Command.SnapshotDelete) {
        return CompletableFuture.completedFuture(provisioner.snapshotVerb(domain, command));
      }
      if (consolidate != null) {
        statuses.operation(tree, vm, "consolidate", 0);
        return provisioner.flatten(domain, consolidate,
                percent -> statuses.operation(tree, vm, "consolidate", percent))
            .whenComplete((message, error) -> statuses.operation(tree, vm, "consolidate", null));
      }
      if (command instanceof Command.Delete) {
        String message = provisioner.delete(domain);
        refreshOwners();
        return CompletableFuture.completedFuture(message);
      }
    } catch (HypervisorException e) {
      return CompletableFuture.failedFuture(e);
    }
    if (command instanceof Command.Start) {
      try {
        return provisioner.startWithinQuota(identity, domain, () -> owners.ownedBy(identity),
            () -> executor.execute(command, domain));
      } catch (HypervisorException e) {
        return CompletableFuture.failedFuture(e);
      }
    }
    return executor.execute(command, domain);
  }

  /** The domain was made or removed; the index learns it now, or at the next event or sweep. */
  private void refreshOwners() {
    try {
      owners.refresh();
    } catch (HypervisorException e) {
      log.warn("cannot read ownership again after provisioning: {}", e.getMessage());
    }
  }

  private Outcome outcome(String user, String vm, String domain, CommandName name, Result result,
      String message, Instant started) {
    return new Outcome(clock.instant(), user, vm, domain, name.verb().fileName(), name.tag(),
        result, message, millis(started));
  }

  private long millis(Instant started) {
    return Duration.between(started, clock.instant()).toMillis();
  }

  private static String failure(Throwable error) {
    Throwable cause = error instanceof CompletionException && error.getCause() != null
        ? error.getCause() : error;
    return cause.getMessage() == null ? cause.toString() : cause.getMessage();
  }

  private static long nanos(Instant t) {
    return t.getEpochSecond() * 1_000_000_000L + t.getNano();
  }
}
