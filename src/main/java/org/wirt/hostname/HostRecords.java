package org.wirt.hostname;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.status.Json;
import org.wirt.status.Notifier;
import org.wirt.status.Outcome;
import org.wirt.status.Recorder;
import org.wirt.status.Result;
import org.wirt.text.SafeText;
import org.wirt.tree.HomeTree;

/**
 * Where a host name command's outcome goes: {@code logs/history.log} and root's audit log (as for
 * VM commands, through {@link Recorder}), {@code logs/domain/<name>.log}, {@code
 * info/domain/<name>/results/<tag>.json} for a tagged one, and mail for a failure or refusal; and
 * each name's {@code info/domain/<name>/settings.json}.
 */
final class HostRecords {
  private static final Logger log = LoggerFactory.getLogger(HostRecords.class);
  private static final ObjectMapper JSON = JsonMapper.builder().build();
  private static final long ROTATE_AT_BYTES = 1 << 20;
  private static final int ROTATED_KEPT = 5;
  private static final int RESULTS_KEPT = 100;

  private final Recorder recorder;
  private final Notifier notifier;
  private final Clock clock;

  HostRecords(Recorder recorder, Notifier notifier, Clock clock) {
    this.recorder = Objects.requireNonNull(recorder, "recorder");
    this.notifier = Objects.requireNonNull(notifier, "notifier");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * Records a command's outcome; {@code label} null for an entry that is no name directory. The
   * history line comes last, so whoever waits for it finds the name's other files written.
   */
  void record(HomeTree tree, String label, Outcome o) {
    if (label != null) {
      nameLog(tree, label, o.verb() + (o.tag() == null ? "" : "." + o.tag()) + " "
          + o.result().json() + " (" + o.durationMs() + " ms): " + o.message());
      if (o.tag() != null) {
        String dir = "info/domain/" + label + "/results";
        try {
          tree.writeFile(dir + "/" + o.tag() + ".json", Json.pretty(Json.outcome(o)));
          tree.pruneOldest(dir, ".json", RESULTS_KEPT);
        } catch (IOException e) {
          log.warn("result write failed user={} name={} tag={}", o.user(), label, o.tag(), e);
        }
      }
    }
    recorder.record(tree, o);
    if (o.result() != Result.OK) {
      notifier.commandFailed(o, Optional.empty());
    }
  }

  /** Appends a readable line to {@code logs/domain/<label>.log}. */
  void nameLog(HomeTree tree, String label, String text) {
    String line = clock.instant() + " " + SafeText.escape(text) + "\n";
    try {
      tree.appendLine("logs/domain/" + label + ".log", line.getBytes(StandardCharsets.UTF_8),
          ROTATE_AT_BYTES, ROTATED_KEPT, note -> (clock.instant() + " " + note + "\n")
              .getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      log.warn("name log write failed user={} name={}", tree.identity().user(), label, e);
    }
  }

  /** Writes {@code info/domain/<label>/settings.json}: what the name is now (null: released). */
  void settings(HomeTree tree, String label, String fqdn, Claims.Claim c) {
    ObjectNode doc = JSON.createObjectNode();
    doc.put("name", label);
    doc.put("fqdn", fqdn);
    doc.put("held", c != null);
    doc.put("vm", c == null ? null : c.vm());
    doc.put("address", c == null ? null : c.address());
    doc.put("published", c != null && c.wanted() && c.address() != null);
    doc.put("pending", c == null ? null : c.pending());
    doc.put("updated", clock.instant().toString());
    try {
      tree.writeFile("info/domain/" + label + "/settings.json",
          JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(doc));
    } catch (IOException e) {
      log.warn("settings write failed user={} name={}", tree.identity().user(), label, e);
    }
  }
}
