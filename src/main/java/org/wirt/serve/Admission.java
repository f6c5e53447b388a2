package org.wirt.serve;

import java.io.IOException;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.command.Command;
import org.wirt.command.CommandName;
import org.wirt.command.CommandParser;
import org.wirt.command.Refusal;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.journal.Journal;
import org.wirt.status.StatusKeeper;
import org.wirt.tree.Entry;
import org.wirt.tree.FileFacts;
import org.wirt.tree.HomeTree;
import org.wirt.tree.LegacyTree;
import org.wirt.tree.ReadResult;
import org.wirt.verbs.Checked;
import org.wirt.verbs.Verbs;

/**
 * Decides whether a command entry may be claimed (SPEC 7), and claims it (SPEC 4). It may if its
 * user's waiting records are within budget, its name is a verb, its file is safe to read and small
 * enough, its content suits the verb, and its verb's own checks pass ({@link Verbs#check}).
 */
final class Admission {
  private static final Logger log = LoggerFactory.getLogger(Admission.class);

  private final StatusKeeper statuses;
  private final Verbs verbs;
  private final Journal journal;
  private final int maxCommandBytes;

  /** A command that passed its checks: its name, its file's content, and what it will do. */
  record Accepted(CommandName name, ReadResult.Content content, Checked checked, Command command,
      LegacyTree legacy) {}

  Admission(StatusKeeper statuses, Verbs verbs, Journal journal, int maxCommandBytes) {
    this.statuses = Objects.requireNonNull(statuses, "statuses");
    this.verbs = Objects.requireNonNull(verbs, "verbs");
    this.journal = Objects.requireNonNull(journal, "journal");
    this.maxCommandBytes = maxCommandBytes;
  }

  /**
   * Reads the entry and checks it; nothing is changed yet.
   *
   * @throws Refusal naming what is wrong and what would be accepted
   */
  Accepted check(HomeTree tree, String vm, Entry entry)
      throws Refusal, IOException, HypervisorException {
    return check(tree, null, vm, entry);
  }

  /**
   * As {@link #check(HomeTree, String, Entry)}, for an entry of the old layout's {@code
   * dom-<vm>/} if {@code legacy} is not null: the same checks, the same records.
   */
  Accepted check(HomeTree tree, LegacyTree legacy, String vm, Entry entry)
      throws Refusal, IOException, HypervisorException {
    Optional<String> overBudget = statuses.overBudget(tree);
    if (overBudget.isPresent()) {
      throw new Refusal(overBudget.get());
    }
    CommandName name = CommandName.parse(entry.name().text().orElseThrow(() -> new Refusal(
        "the name is not UTF-8 text or holds control characters; a command file is named "
            + "<verb> or <verb>.<tag>")));
    ReadResult read = legacy == null ? tree.readCommand(vm, entry.name(), maxCommandBytes)
        : legacy.readCommand(vm, entry.name(), maxCommandBytes);
    if (read instanceof ReadResult.Refused refused) {
      throw new Refusal(refused.problem());
    }
    ReadResult.Content content = (ReadResult.Content) read;
    Command command = CommandParser.parse(name.verb(), content.bytes());
    return new Accepted(name, content, verbs.check(tree, vm, command), command, legacy);
  }

  /**
   * Claims the command in the journal, then removes its file (SPEC 4).
   *
   * @return the claim, or empty if the command is not to run (it stays queued, or was withdrawn)
   */
  Optional<Journal.Claim> claim(HomeTree tree, String vm, Entry entry, Accepted a,
      Instant started, String where) {
    String user = tree.identity().user();
    FileFacts facts = a.content().facts();
    Journal.Claim claim;
    try {
      // A create has no domain yet: its claim names the domain it will define, without UUID.
      claim = journal.claim(user, tree.identity().uid(), vm, a.checked().domainName(),
          a.checked().uuid(), a.name().verb().fileName(), a.name().tag(), entry.name().display(),
          facts.dev(), facts.ino(), a.content().bytes(), started.toString());
    } catch (IOException e) {
      log.error("cannot write the journal, the command stays queued user={} entry={}", user,
          where, e);
      return Optional.empty();
    }
    try {
      boolean removed = a.legacy() == null ? tree.removeCommand(vm, entry.name(), facts)
          : a.legacy().removeCommand(vm, entry.name(), facts);
      if (removed) {
        return Optional.of(claim);
      }
      log.info("withdrawn before it ran user={} entry={}", user, where);
    } catch (IOException e) {
      log.warn("cannot remove user={} entry={}", user, where, e);
    }
    statuses.withdrawn(claim.id());
    return Optional.empty();
  }
}
