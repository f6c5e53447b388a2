package org.wirt.hostname;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.command.HostNames;
import org.wirt.command.Refusal;
import org.wirt.config.DomainsConfig;
import org.wirt.hypervisor.Hypervisor;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.status.Notifier;
import org.wirt.status.Outcome;
import org.wirt.status.Recorder;
import org.wirt.status.Result;
import org.wirt.tree.Entry;
import org.wirt.tree.EntryType;
import org.wirt.tree.HomeTree;
import org.wirt.tree.ReadResult;
import org.wirt.tree.Identity;

/**
 * Serves {@code command/domain/<name>/} (host names for VMs): takes each name's commands oldest
 * first, holds names first come, first served across users in {@link Claims}, and has {@link
 * Publication} publish them in the DNS of the configured libvirt network and keep them in step
 * with the VMs' addresses.
 *
 * <p>All of it runs on one thread (the daemon's {@code wirt-domains}), so the registry, the
 * network's DNS and each name's order need no more locking than that.
 */
public final class HostNameServer {
  private static final Logger log = LoggerFactory.getLogger(HostNameServer.class);
  /** How many commands of one name a scan takes before moving on (the next scan goes on). */
  static final int COMMANDS_PER_SCAN = 32;

  /** Finds the user's VM as VM commands do (owner metadata, SPEC 3). */
  @FunctionalInterface
  public interface VmLookup {
    Optional<ManagedDomain> find(Identity user, String vm) throws HypervisorException;
  }

  private final DomainsConfig config;
  private final Claims claims;
  private final VmLookup vms;
  private final Hypervisor hypervisor;
  private final HostRecords records;
  private final Publication publication;
  private final ToIntFunction<Identity> limit;
  private final Function<String, Optional<HomeTree>> trees;
  private final Supplier<List<HomeTree>> allTrees;
  private final Clock clock;
  private final int maxCommandBytes;
  private final java.util.function.Consumer<HomeTree> quotaChanged;
  private final NameSignals signals = new NameSignals(this::changed);
  private volatile HostNameWatch watch;
  /**
   * How long a command file must be left alone before a sweep takes it without inotify having seen
   * it complete: one being written ({@code echo ... > config}) is not read half-written.
   */
  static final Duration SETTLE = Duration.ofSeconds(2);

  /**
   * @param limit how many names a user may hold (the quota's {@code domains})
   * @param trees the tree of a served user
   * @param quotaChanged writes a user's {@code quota.json} again (a name held or released)
   */
  public HostNameServer(DomainsConfig config, Claims claims, VmLookup vms, Hypervisor hypervisor,
      Recorder recorder, Notifier notifier, ToIntFunction<Identity> limit,
      Function<String, Optional<HomeTree>> trees, Supplier<List<HomeTree>> allTrees, Clock clock,
      int maxCommandBytes, java.util.function.Consumer<HomeTree> quotaChanged) {
    this.quotaChanged = Objects.requireNonNull(quotaChanged, "quotaChanged");
    this.config = Objects.requireNonNull(config, "config");
    this.claims = Objects.requireNonNull(claims, "claims");
    this.vms = Objects.requireNonNull(vms, "vms");
    this.hypervisor = Objects.requireNonNull(hypervisor, "hypervisor");
    this.records = new HostRecords(recorder, notifier, clock);
    this.publication = new Publication(config, claims, vms, hypervisor, records, trees);
    this.limit = Objects.requireNonNull(limit, "limit");
    this.trees = Objects.requireNonNull(trees, "trees");
    this.allTrees = Objects.requireNonNull(allTrees, "allTrees");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.maxCommandBytes = maxCommandBytes;
  }

  /**
   * Records the commands that were taken but whose outcome a crash kept from being recorded, and
   * removes their files if a crash left them (unchanged) in place. Call once, before serving.
   */
  public int recover() {
    int n = 0;
    for (Claims.Taken t : claims.unrecorded()) {
      Optional<HomeTree> tree = trees.apply(t.user());
      if (tree.isEmpty() || tree.get().identity().uid() != t.uid()) {
        continue;
      }
      HomeTree home = tree.get();
      try {
        home.removeDomainCommand(t.label(), new org.wirt.tree.EntryName(
            t.entry().getBytes(java.nio.charset.StandardCharsets.UTF_8)),
            new org.wirt.tree.FileFacts(t.dev(), t.ino(), EntryType.REGULAR, t.uid(), 1, 0, 0));
      } catch (IOException e) {
        log.debug("no command file left user={} name={} entry={}", t.user(), t.label(), t.entry(), e);
      }
      Outcome o = new Outcome(clock.instant(), t.user(), "domain/" + t.label(), null, t.verb(),
          t.tag(), Result.valueOf(t.result().toUpperCase(java.util.Locale.ROOT)), t.message() + " (recorded after wirtd restarted;"
              + " publication is brought up to date by the sweep)", 0);
      records.record(home, t.label(), o);
      markRecorded(t);
      n++;
    }
    return n;
  }

  /**
   * From now on, the name directories a scan finds are watched by {@code w}, and the scans that
   * events and files still being written ask for run on {@code thread} (the one all of this runs
   * on).
   */
  public void watchWith(HostNameWatch w, java.util.concurrent.ScheduledExecutorService thread) {
    signals.runOn(thread);
    this.watch = w;
  }

  /**
   * inotify saw a change in the user's {@code command/domain/} (label empty) or in {@code
   * command/domain/<label>/}: a scan of the names, or of that name, is queued ({@link
   * NameSignals}). Called on the watch thread.
   */
  public void signal(String user, String label, String entry, boolean completed) {
    signals.signal(user, label, entry, completed);
  }

  /** Scans the user's names (label empty) or serves one name. */
  void changed(String user, String label) {
    Optional<HomeTree> tree = trees.apply(user);
    if (tree.isEmpty()) {
      return;
    }
    if (label.isEmpty()) {
      scan(tree.get());
    } else if (HostNames.isLabel(label)) {
      serveName(tree.get(), label);
    }
  }

  /** Takes the commands waiting in the user's {@code command/domain/}. */
  public void scan(HomeTree tree) {
    String user = tree.identity().user();
    List<Entry> names;
    try {
      names = tree.listDomainNames();
    } catch (NoSuchFileException e) {
      return;
    } catch (IOException e) {
      log.warn("cannot list user={} dir=command/domain", user, e);
      return;
    }
    HostNameWatch w = watch;
    if (w != null) {
      w.watch(tree, names.stream().filter(e -> e.type() == EntryType.DIRECTORY)
          .map(e -> e.name().text().orElse("")).filter(HostNames::isLabel).toList());
    }
    for (Entry e : names) {
      Optional<String> text = e.name().text();
      if (text.isEmpty() || !HostNames.isLabel(text.get())) {
        refuseName(tree, e, HostNames.problem(text.orElse(e.name().display()), config.zone()));
      } else if (e.type() != EntryType.DIRECTORY) {
        refuseName(tree, e, "is " + e.type().phrase() + ", not a directory; commands go in"
            + " command/domain/<name>/<verb>");
      } else {
        serveName(tree, text.get());
      }
    }
  }

  private void refuseName(HomeTree tree, Entry e, String problem) {
    String where = "command/domain/" + e.name().display();
    String message = where + ": " + problem;
    try {
      message += " (moved to rejected/" + tree.rejectDomainEntry(null, e.name()) + ")";
    } catch (NoSuchFileException gone) {
      return;
    } catch (IOException ex) {
      log.warn("cannot move refused entry user={} entry={}", tree.identity().user(), where, ex);
    }
    records.record(tree, null, new Outcome(clock.instant(), tree.identity().user(),
        "domain/" + e.name().display(), null, "-", null, Result.REJECTED, message, 0));
  }

  /** Serves the commands of {@code command/domain/<label>/}, oldest first. */
  void serveName(HomeTree tree, String label) {
    List<Entry> commands;
    try {
      commands = tree.oldestDomainCommands(label, COMMANDS_PER_SCAN);
    } catch (IOException e) {
      log.warn("cannot list user={} dir=command/domain/{}", tree.identity().user(), label, e);
      return;
    }
    Instant now = clock.instant();
    Instant settle = now.minus(SETTLE);
    long settled = settle.getEpochSecond() * 1_000_000_000L + settle.getNano();
    // A time in the future counts as settled: set by hand (touch -d), not by a write going on.
    long future = now.getEpochSecond() * 1_000_000_000L + now.getNano();
    for (Entry entry : commands) {
      String key = tree.identity().user() + "/" + label + "/" + entry.name().display();
      if (entry.mtimeNanos() > settled && entry.mtimeNanos() <= future
          && !signals.isComplete(key)) {
        // Maybe still being written (or written before its directory was watched): looked at
        // again once it has settled, or at inotify's close.
        signals.queue(tree.identity().user(), label, SETTLE);
        break;
      }
      signals.taken(key);
      serve(tree, label, entry);
    }
  }

  /** Checks, takes, performs and records one command. */
  private void serve(HomeTree tree, String label, Entry entry) {
    Instant started = clock.instant();
    Identity id = tree.identity();
    String where = "command/domain/" + label + "/" + entry.name().display();
    HostCommand command;
    Decision decision;
    ReadResult.Content content;
    try {
      if (!config.enabled()) {
        throw new Refusal("host names are off: the admin has not configured a zone"
            + " (domains.zone in wirt.json); ask an admin to set one");
      }
      String fileName = entry.name().text().orElseThrow(() -> new Refusal("the name is not"
          + " UTF-8 text or holds control characters; a command file is named "
          + HostCommand.NAME_RULE));
      command = HostCommand.named(fileName);
      ReadResult read = tree.readDomainCommand(label, entry.name(), maxCommandBytes);
      if (read instanceof ReadResult.Refused refused) {
        throw new Refusal(refused.problem());
      }
      content = (ReadResult.Content) read;
      command = command.withContent(content.bytes());
      decision = decide(id, label, command);
    } catch (Refusal r) {
      refuse(tree, label, entry, r.getMessage(), started);
      return;
    } catch (NoSuchFileException e) {
      return;
    } catch (IOException | HypervisorException e) {
      log.warn("cannot check user={} entry={}", id.user(), where, e);
      return;
    }
    Claims.Taken taken;
    try {
      taken = claims.take(decision.fqdn(), decision.next(), new Claims.Taken(0, id.user(),
          id.uid(), label, command.verb().fileName(), command.tag(), entry.name().display(),
          content.facts().dev(), content.facts().ino(), started.toString(), Result.OK.json(),
          decision.message()));
    } catch (IOException e) {
      log.error("cannot write the host name registry, the command stays queued user={} entry={}",
          id.user(), where, e);
      return;
    }
    try {
      if (!tree.removeDomainCommand(label, entry.name(), content.facts())) {
        // Replaced or withdrawn after it was read: what it asked is done and recorded; the new
        // file, if any, is the next command.
        log.info("command file changed while taken user={} entry={}", id.user(), where);
      }
    } catch (IOException e) {
      log.warn("cannot remove user={} entry={}", id.user(), where, e);
    }
    log.info("running user={} name={} verb={} tag={} vm={}", id.user(), label,
        command.verb().fileName(), command.tag(), decision.next() == null ? null
            : decision.next().vm());
    Result result = Result.OK;
    String message = decision.message();
    Claims.Claim after = decision.next();
    try {
      after = publication.apply(decision.fqdn(), decision.before(), decision.next(), id);
      if (after != null && after.wanted() && after.address() != null) {
        message = "published " + after.fqdn() + " -> " + after.address() + " (VM '" + after.vm()
            + "', network " + config.network() + ")";
      } else if (after != null && after.wanted()) {
        message = after.fqdn() + " is held for VM '" + after.vm() + "' and published once it has"
            + " an address: " + after.pending();
      }
    } catch (HypervisorException e) {
      result = Result.FAILED;
      message = decision.fqdn() + ": " + e.getMessage() + (decision.next() != null
          ? "; the name stays held and the sweep tries again" : "");
    }
    Outcome o = new Outcome(clock.instant(), id.user(), "domain/" + label, null,
        command.verb().fileName(), command.tag(), result, message,
        Duration.between(started, clock.instant()).toMillis());
    records.settings(tree, label, decision.fqdn(), after);
    if ((decision.before() == null) != (decision.next() == null)) {
      quotaChanged.accept(tree);
    }
    records.record(tree, label, o);
    markRecorded(taken);
  }

  private void markRecorded(Claims.Taken t) {
    try {
      claims.recorded(t.id());
    } catch (IOException e) {
      log.warn("cannot write the host name registry user={} name={}", t.user(), t.label(), e);
    }
  }

  /** What a command changes: the claim before and after, and what to tell the user. */
  private record Decision(String fqdn, Claims.Claim before, Claims.Claim next, String message) {}

  private Decision decide(Identity id, String label, HostCommand c)
      throws Refusal, HypervisorException {
    String fqdn = HostNames.fqdn(label, config.zone());
    Optional<Claims.Claim> held = claims.get(fqdn);
    if (held.isPresent() && (held.get().uid() != id.uid() || !held.get().user().equals(id.user()))) {
      throw new Refusal(fqdn + " is held by another user (names are first come, first served);"
          + " choose another name");
    }
    Claims.Claim before = held.orElse(null);
    if (c.verb() == HostCommand.Verb.STOP) {
      return new Decision(fqdn, before, null, before == null
          ? fqdn + " was not held; nothing to withdraw" : "withdrew and released " + fqdn);
    }
    String vm = c.vm() != null ? c.vm() : before == null ? null : before.vm();
    if (vm == null) {
      throw new Refusal("'start' needs a VM: write {\"vm\": \"<vm>\"} into it, or a 'config'"
          + " first");
    }
    if (vms.find(id, vm).isEmpty()) {
      throw new Refusal("VM '" + vm + "' is not yours (no domain of yours carries it); name one"
          + " of your VMs, or ask an admin to run `wirtctl assign`");
    }
    if (before == null) {
      int max = limit.applyAsInt(id);
      int have = claims.heldBy(id.user(), id.uid());
      if (have >= max) {
        throw new Refusal("quota exceeded: you hold " + have + " host name"
            + (have == 1 ? "" : "s") + " of " + max + " allowed (quota key domains); stop one"
            + " (command/domain/<name>/stop) or ask an admin for a larger quota");
      }
    }
    boolean wanted = c.verb() == HostCommand.Verb.START || (before != null && before.wanted());
    Claims.Claim next = before == null
        ? new Claims.Claim(fqdn, label, id.user(), id.uid(), vm, wanted, null, "not published yet")
        : before.withVm(vm).withWanted(wanted);
    String message = c.verb() == HostCommand.Verb.CONFIG
        ? fqdn + " is held for VM '" + vm + "'" + (wanted ? "" : "; 'start' publishes it")
        : "publishing " + fqdn + " for VM '" + vm + "'";
    return new Decision(fqdn, before, next, message);
  }

  /**
   * Brings what is published in step with the VMs' addresses ({@link Publication#reconcile}): a
   * VM started, stopped or went away.
   */
  public void reconcile() {
    publication.reconcile();
  }

  /** Runs a scan of every served tree and then {@link #reconcile} (the sweep). */
  public void sweep() {
    for (HomeTree tree : allTrees.get()) {
      scan(tree);
    }
    publication.reconcile();
  }

  private void refuse(HomeTree tree, String label, Entry entry, String problem, Instant started) {
    String where = "command/domain/" + label + "/" + entry.name().display();
    String message = where + ": " + problem;
    try {
      message += " (moved to rejected/" + tree.rejectDomainEntry(label, entry.name()) + ")";
    } catch (NoSuchFileException e) {
      return;
    } catch (IOException e) {
      log.warn("cannot move refused entry user={} entry={}", tree.identity().user(), where, e);
    }
    String text = entry.name().text().orElse(entry.name().display());
    int dot = text.indexOf('.');
    String verb = dot < 0 ? text : text.substring(0, dot);
    String tag = dot >= 0 && org.wirt.command.Names.isTag(text.substring(dot + 1))
        ? text.substring(dot + 1) : null;
    log.info("rejected user={} entry={} problem=\"{}\"", tree.identity().user(), where, problem);
    records.record(tree, label, new Outcome(clock.instant(), tree.identity().user(),
        "domain/" + label, null, verb, tag, Result.REJECTED, message,
        Duration.between(started, clock.instant()).toMillis()));
  }
}
