package org.wirt.journal;

import org.wirt.status.StatusKeeper;
import org.wirt.serve.Owners;
import org.wirt.serve.Roster;
import java.io.IOException;
import java.time.Clock;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.command.Command;
import org.wirt.command.CommandExecutor;
import org.wirt.command.CommandParser;
import org.wirt.command.Refusal;
import org.wirt.command.Verb;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.journal.Journal;
import org.wirt.status.Json;
import org.wirt.status.Outcome;
import org.wirt.status.Result;
import org.wirt.threads.ThreadFailures;
import org.wirt.tree.EntryName;
import org.wirt.tree.EntryType;
import org.wirt.tree.FileFacts;
import org.wirt.tree.HomeTree;

/**
 * Finishes what a crash interrupted, before any new command is served (SPEC 4): a claimed command
 * that had not finished is reconciled against libvirt's actual state and recorded as {@code
 * interrupted}; a finished one whose records were not all written gets them now. Either way it
 * ends with exactly one outcome and runs at most once more, and only where that is safe.
 */
public final class Recovery {
  private static final Logger log = LoggerFactory.getLogger(Recovery.class);

  private final Journal journal;
  private final Roster roster;
  private final Owners owners;
  private final CommandExecutor executor;
  private final StatusKeeper statuses;
  private final org.wirt.status.Recorder recorder;
  private final Clock clock;

  public Recovery(Journal journal, Roster roster, Owners owners, CommandExecutor executor,
      StatusKeeper statuses, org.wirt.status.Recorder recorder, Clock clock) {
    this.journal = journal;
    this.roster = roster;
    this.owners = owners;
    this.executor = executor;
    this.statuses = statuses;
    this.recorder = recorder;
    this.clock = clock;
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
    Optional<HomeTree> tree = roster.tree(c.user()).filter(t -> t.identity().uid() == c.uid());
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
            new org.wirt.status.Recorder.Written(entry.logged(), false, false));
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
        : owners.byUuid(UUID.fromString(c.uuid()))
            .filter(d -> d.owner().user().equals(c.user()) && d.owner().uid() == c.uid());
    String message;
    try {
      Command command = CommandParser.parse(Verb.fromFileName(c.verb()).orElseThrow(),
          c.content());
      if (command instanceof Command.Create) {
        // A create is claimed before its domain exists: look for what it made, never repeat it.
        domain = owners.ownedBy(new org.wirt.tree.Identity(c.user(), c.uid(), 0, new int[0]))
            .stream().filter(d -> d.owner().vm().equals(c.vm())).findFirst();
        message = "wirtd stopped while this create ran; " + (domain.isPresent()
            ? "it had taken effect: " + domain.get().name() + " is defined"
            : "no domain was defined and the create is not repeated; volumes it may have made "
                + "are left for an admin (" + c.domain() + ".qcow2, " + c.domain()
                + "-seed.iso in the VM pool)");
      } else {
        message = "wirtd stopped while this command ran; " + (domain.isEmpty()
            ? "the domain is no longer " + c.user() + "'s, nothing was repeated"
            : executor.reconcile(command, domain.get()));
      }
    } catch (Refusal | HypervisorException e) {
      message = "wirtd stopped while this command ran; it could not be checked: " + e.getMessage();
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
