package org.wirt.daemon;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.command.Names;
import org.wirt.status.Outcome;
import org.wirt.status.Result;
import org.wirt.tree.EntryName;
import org.wirt.tree.HomeTree;

/** Refuses an entry (SPEC 7): moves it to {@code rejected/} and records why. */
final class Rejector {
  private static final Logger log = LoggerFactory.getLogger(Rejector.class);

  private final StatusKeeper statuses;
  private final Clock clock;

  Rejector(StatusKeeper statuses, Clock clock) {
    this.statuses = statuses;
    this.clock = clock;
  }

  /**
   * Refuses {@code command/vm/<vm>/<name>}, or with a null {@code vm} the entry {@code
   * command/vm/<name>} itself.
   */
  void reject(HomeTree tree, String vm, EntryName name, String problem, Instant started) {
    String user = tree.identity().user();
    String where = vm == null
        ? "command/vm/" + name.display()
        : "command/vm/" + vm + "/" + name.display();
    String message = where + ": " + problem;
    try {
      message += " (moved to rejected/" + tree.reject(vm, name) + ")";
    } catch (NoSuchFileException e) {
      return;
    } catch (IOException e) {
      log.warn("cannot move refused entry user={} entry={}: {}", user, where, e.getMessage());
    }
    String verb;
    String tag = null;
    if (vm == null) {
      verb = "-";
    } else {
      String text = name.text().orElse(name.display());
      int dot = text.indexOf('.');
      verb = dot < 0 ? text : text.substring(0, dot);
      if (dot >= 0 && Names.isTag(text.substring(dot + 1))) {
        tag = text.substring(dot + 1);
      }
    }
    String recordedVm = vm != null ? vm : name.display();
    Outcome outcome = new Outcome(clock.instant(), user, recordedVm, null, verb, tag,
        Result.REJECTED, message, Duration.between(started, clock.instant()).toMillis());
    log.info("rejected user={} entry={} problem=\"{}\"", user, where, problem);
    statuses.rejected(tree, recordedVm, outcome);
  }
}
