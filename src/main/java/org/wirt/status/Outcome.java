package org.wirt.status;

import java.time.Instant;
import java.util.Objects;

/**
 * The record of one finished or refused command: a line of {@code history.log} and of the audit
 * log, and the content of {@code results/<tag>.json} (SPEC 6).
 *
 * @param vm the VM name, escaped if it came from an invalid directory name
 * @param domain the libvirt domain, or null when none was resolved
 * @param verb the verb, or the escaped entry name when it was no verb
 * @param tag the tag, or null
 */
public record Outcome(
    Instant time,
    String user,
    String vm,
    String domain,
    String verb,
    String tag,
    Result result,
    String message,
    long durationMs) {

  public Outcome {
    Objects.requireNonNull(time, "time");
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(vm, "vm");
    Objects.requireNonNull(verb, "verb");
    Objects.requireNonNull(result, "result");
    Objects.requireNonNull(message, "message");
  }
}
