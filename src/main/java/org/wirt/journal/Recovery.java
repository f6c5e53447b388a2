package org.wirt.journal;

import java.io.IOException;
import java.time.Clock;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.command.Command;
import org.wirt.command.CommandParser;
import org.wirt.command.Refusal;
import org.wirt.command.Verb;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.status.Json;
import org.wirt.status.Outcome;
import org.wirt.status.Recorder;
import org.wirt.status.Result;
import org.wirt.status.StatusKeeper;
import org.wirt.threads.ThreadFailures;
import org.wirt.tree.EntryName;
import org.wirt.tree.EntryType;
import org.wirt.tree.FileFacts;
import org.wirt.tree.HomeTree;
import org.wirt.tree.Identity;
import org.wirt.verbs.Interrupted;
import org.wirt.verbs.Reconciled;
import org.wirt.verbs.Verbs;

/**
 * Finishes what a crash interrupted, before any new command is served (SPEC 4): a claimed command
 * that had not finished is reconciled against libvirt's actual state ({@link Verbs#reconcile}) and
 * recorded as {@code interrupted}; a finished one whose records were not all written gets them
 * now. Either way it ends with exactly one outcome and runs at most once more, and only where that
 * is safe.
 */
public final class Recovery {
  private static final Logger log = LoggerFactory.getLogger(Recovery.class);

  private final Journal journal;
  private final Function<String, Optional<HomeTree>> trees;
  private final Function<UUID, Optional<ManagedDomain>> domains;
  private final Verbs verbs;
  private final StatusKeeper statuses;
  private final Recorder recorder;
  private final Clock clock;

  /**
   * @param trees the tree of a served user, by name
   * @param domains a managed domain by UUID, as the daemon's index knows it
   */
  public Recovery(Journal journal, Function<String, Optional<HomeTree>> trees,
      Function<UUID, Optional<ManagedDomain>> domains, Verbs verbs, StatusKeeper statuses,
      Recorder recorder, Clock clock) {
    this.journal = Objects.requireNonNull(journal, "journal");
    this.trees = Objects.requireNonNull(trees, "trees");
    this.domains = Objects.requireNonNull(domains, "domains");
    this.verbs = Objects.requireNonNull(verbs, "verbs");
    this.statuses = Objects.requireNonNull(statuses, "statuses");
    this.recorder = Objects.requireNonNull(recorder, "recorder");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Recovers every entry the journal had open; returns how many. */
  public int run() {
    int n = 0;
    for (Journal.Entry entry : journal.recovered()) {
      try {
        recover(entry);
        n++;
      } catch (IOException | RuntimeException e) {
        log.error("cannot recover journal entry id={} user={} vm={} verb={}", entry.claim().id(),
            entry.claim().user(), entry.claim().vm(), entry.claim().verb(), e);
      } catch (Error e) {
        // Out of memory halts (ThreadFailures), and the next start recovers the same entry: what
        // recovery reads of a user's files is bounded (HomeTree), so it cannot fail the same way.
        ThreadFailures.process().caught("recovering journal entry id=" + entry.claim().id(), e);
      }
    }
    return n;
  }

  private void recover(Journal.Entry entry) throws IOException {
    Journal.Claim c = entry.claim();
    Optional<HomeTree> tree = trees.apply(c.user()).filter(t -> t.identity().uid() == c.uid());
    if (entry.outcome() != null) {
      Outcome done = Json.outcome(entry.outcome());
      log.info("recovering records id={} user={} vm={} verb={}", c.id(), c.user(), c.vm(), c.verb());
      if (tree.isEmpty()) {
        recorder.audit(done);
        journal.complete(c.id());
      } else {
        // The audit record may have been written before the crash; the user's records are
        // written from where the journal says they stopped.
        statuses.recorded(c.id(), tree.get(), done,
            new Recorder.Written(entry.logged(), false, false));
      }
      return;
    }
    if (tree.isPresent()) {
      // Killed between the claim and removing the file: the file is still there and must not be
      // taken as a new command.
      tree.get().removeCommand(c.vm(), EntryName.of(c.file()),
          new FileFacts(c.dev(), c.ino(), EntryType.REGULAR, c.uid(), 1, 0, 0));
    }
    Optional<ManagedDomain> domain = c.uuid() == null ? Optional.empty()
        : domains.apply(UUID.fromString(c.uuid()))
            .filter(d -> d.owner().user().equals(c.user()) && d.owner().uid() == c.uid());
    String message;
    try {
      Command command = CommandParser.parse(Verb.fromFileName(c.verb()).orElseThrow(),
          c.content());
      Reconciled reconciled = verbs.reconcile(command, new Interrupted(
          new Identity(c.user(), c.uid(), 0, new int[0]), c.vm(), c.domain(), domain));
      message = reconciled.message();
      domain = reconciled.domain();
    } catch (Refusal | HypervisorException e) {
      message = "wirtd stopped while this command ran; it could not be checked: " + e.getMessage();
    }
    if (c.ino() == 0 && HomeTree.SETTINGS_FILE.equals(c.file())) {
      // Queued by wirtd for the VM's settings.json, not written as a file: the records say so.
      message = "command/vm/" + c.vm() + "/" + c.file() + ": " + message;
    }
    Outcome outcome = new Outcome(clock.instant(), c.user(), c.vm(), c.domain(), c.verb(), c.tag(),
        Result.INTERRUPTED, message, 0);
    log.info("recovered interrupted id={} user={} vm={} verb={} message=\"{}\"", c.id(), c.user(),
        c.vm(), c.verb(), message);
    if (tree.isPresent()) {
      statuses.finished(c.id(), tree.get(), c.vm(), domain.orElse(null), outcome);
    } else {
      journal.done(c.id(), Json.outcome(outcome));
      recorder.audit(outcome);
      journal.complete(c.id());
    }
  }
}
