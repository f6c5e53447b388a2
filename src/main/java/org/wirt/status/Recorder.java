package org.wirt.status;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.command.Names;
import org.wirt.hypervisor.DomainStatus;
import org.wirt.text.SafeText;
import org.wirt.tree.HomeTree;

/**
 * Writes what happened where SPEC 6 says: {@code status.json}, {@code logs/history.log}, {@code
 * logs/vm/<vm>.log}, {@code results/<tag>.json} in the user's tree (as the user, through {@link
 * HomeTree}), and root's audit log.
 */
public final class Recorder {
  private static final Logger log = LoggerFactory.getLogger(Recorder.class);
  static final long ROTATE_AT_BYTES = 1 << 20;
  static final int ROTATED_KEPT = 5;
  static final int RESULTS_KEPT = 100;

  private final Clock clock;
  private final AuditLog audit;
  private final Map<String, String> lastStatus = new ConcurrentHashMap<>();
  private final Map<String, Outcome> lastCommand = new ConcurrentHashMap<>();
  private final Map<String, DomainStatus> lastKnown = new ConcurrentHashMap<>();
  private final Map<String, ObjectNode> operations = new ConcurrentHashMap<>();
  /** Why the last write of a record into a user's tree failed, by user (what to tell them). */
  private final Map<String, String> problems = new ConcurrentHashMap<>();

  public Recorder(Clock clock, AuditLog audit) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.audit = Objects.requireNonNull(audit, "audit");
  }

  /** Which of a command's records in the user's tree are written. */
  public record Written(boolean history, boolean vmLog, boolean result) {
    public static final Written NONE = new Written(false, false, false);

    public boolean all() {
      return history && vmLog && result;
    }
  }

  /**
   * Records a finished or refused command in all its places. A failure to write into the user's
   * tree (a full or read-only home) is logged and does not stop the others; what was not written
   * is reported, so that it can be tried again with {@link #retry}.
   */
  public Written record(HomeTree tree, Outcome o) {
    return record(tree, o, () -> { });
  }

  /**
   * Records a command: first its history line, then {@code afterHistory} (the journal notes the
   * line is written), then the audit record, the VM log line and the tagged result.
   */
  public Written record(HomeTree tree, Outcome o, Runnable afterHistory) {
    audit.append(o);
    return retry(tree, o, Written.NONE, afterHistory);
  }

  /**
   * Writes the records of {@code o} that {@code done} says are missing, never one twice (a failed
   * append leaves no partial line behind). The audit record is not written again.
   */
  public Written retry(HomeTree tree, Outcome o, Written done, Runnable afterHistory) {
    boolean history = done.history();
    if (!history) {
      try {
        tree.appendLine("logs/history.log", Json.line(o), ROTATE_AT_BYTES, ROTATED_KEPT,
            this::historyNote);
        history = true;
        afterHistory.run();
      } catch (IOException e) {
        problems.put(o.user(), e.getMessage());
        log.warn("history write failed user={} vm={} verb={}", o.user(), o.vm(), o.verb(),
            e);
      }
    }
    if (!Names.isVm(o.vm())) {
      return new Written(history, true, true);
    }
    lastCommand.put(key(o.user(), o.vm()), o);
    boolean vmLog = done.vmLog() || vmLog(tree, o.vm(), o.verb()
        + (o.tag() == null ? "" : "." + o.tag()) + " " + o.result().json() + " ("
        + o.durationMs() + " ms): " + o.message());
    boolean result = done.result() || o.tag() == null || writeResult(tree, o);
    return new Written(history, vmLog, result);
  }

  /**
   * wirt's note that it discarded a history it did not write, as a history line: {@code time},
   * {@code "note": "discarded"} and the {@code message}, without the fields of a command.
   */
  private byte[] historyNote(String note) {
    ObjectNode line = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
    line.put("time", clock.instant().toString());
    line.put("note", "discarded");
    line.put("message", note);
    return (Json.compact(line) + "\n").getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Returns why the last record of the user could not be written into their tree, if one could
   * not ({@code "~alice/wirt/logs/history.log has 2 hard links ..."}).
   */
  public java.util.Optional<String> problem(String user) {
    return java.util.Optional.ofNullable(problems.get(user));
  }

  /** Writes a line into the audit log about the user's records ({@link AuditLog#note}). */
  public void auditNote(String user, String vm, String event, String message) {
    audit.note(clock.instant(), user, vm, event, message);
  }

  /** Writes only the audit record (the user is no longer served, so their tree is not touched). */
  public void audit(Outcome o) {
    audit.append(o);
  }

  private boolean writeResult(HomeTree tree, Outcome o) {
    String dir = "info/vm/" + o.vm() + "/results";
    try {
      tree.writeFile(dir + "/" + o.tag() + ".json", Json.pretty(Json.outcome(o)));
      tree.pruneOldest(dir, ".json", RESULTS_KEPT);
      return true;
    } catch (IOException e) {
      problems.put(o.user(), e.getMessage());
      log.warn("result write failed user={} vm={} tag={}", o.user(), o.vm(), o.tag(),
          e);
      return false;
    }
  }

  /** Appends a human-readable line to {@code logs/vm/<vm>.log}; returns whether it was written. */
  public boolean vmLog(HomeTree tree, String vm, String text) {
    String line = clock.instant() + " " + SafeText.escape(text) + "\n";
    try {
      tree.appendLine("logs/vm/" + vm + ".log", line.getBytes(StandardCharsets.UTF_8),
          ROTATE_AT_BYTES, ROTATED_KEPT, note -> (clock.instant() + " " + note + "\n")
              .getBytes(StandardCharsets.UTF_8));
      return true;
    } catch (IOException e) {
      problems.put(tree.identity().user(), e.getMessage());
      log.warn("vm log write failed user={} vm={}", tree.identity().user(), vm, e);
      return false;
    }
  }

  /**
   * Writes {@code status.json} for a VM if anything but the time changed since the last write.
   *
   * @param libvirt {@code "connected"} or {@code "unreachable"}
   * @return true if the file was written
   */
  public boolean status(HomeTree tree, String vm, DomainStatus status, String libvirt) {
    String key = key(tree.identity().user(), vm);
    lastKnown.put(key, status);
    ObjectNode doc = Json.status(vm, status, lastCommand.get(key), libvirt);
    ObjectNode operation = operations.get(key);
    if (operation != null) {
      doc.set("operation", operation);
    }
    String fingerprint = Json.compact(doc);
    if (fingerprint.equals(lastStatus.get(key))) {
      return false;
    }
    doc.put("updated", clock.instant().toString());
    try {
      tree.writeFile("info/vm/" + vm + "/status.json", Json.pretty(doc));
      lastStatus.put(key, fingerprint);
      return true;
    } catch (IOException e) {
      log.warn("status write failed user={} vm={}", tree.identity().user(), vm, e);
      return false;
    }
  }

  /**
   * Shows a long operation's progress in the VM's {@code status.json} ({@code "operation":
   * {"verb": "consolidate", "percent": 40}}), or with {@code percent} null, that it ended.
   */
  public void operation(HomeTree tree, String vm, String verb, Integer percent) {
    String key = key(tree.identity().user(), vm);
    if (percent == null) {
      operations.remove(key);
    } else {
      ObjectNode op = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
      op.put("verb", verb);
      op.put("percent", percent);
      operations.put(key, op);
    }
    DomainStatus last = lastKnown.get(key);
    if (last != null) {
      status(tree, vm, last, "connected");
    }
  }

  /**
   * Says in the VM's {@code status.json} that libvirt cannot be reached, keeping the last state
   * seen; does nothing for a VM whose state was never seen.
   */
  public void unreachable(HomeTree tree, String vm) {
    DomainStatus last = lastKnown.get(key(tree.identity().user(), vm));
    if (last != null) {
      status(tree, vm, last, "unreachable");
    }
  }

  /** Forgets what was written for a user, so that the next status is written again. */
  public void forget(String user) {
    lastStatus.keySet().removeIf(k -> k.startsWith(user + "/"));
  }

  private static String key(String user, String vm) {
    return user + "/" + vm;
  }
}
