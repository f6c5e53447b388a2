package org.wirt.status;

import java.time.Instant;
import java.util.Objects;
import org.wirt.text.SafeText;

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
    // Messages quote what users wrote (content, JSON keys, libvirt's words about their files):
    // nothing from them may break a line or reorder text where this record is read (SPEC 8).
    vm = SafeText.escape(vm);
    domain = SafeText.escape(domain);
    verb = SafeText.escape(verb);
    tag = SafeText.escape(tag);
    message = SafeText.escape(message);
  }
}
