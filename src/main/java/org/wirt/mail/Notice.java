package org.wirt.mail;

import java.time.Instant;
import org.wirt.text.Fields;
import org.wirt.text.SafeText;

/**
 * One thing to tell a user and root about: a command that failed, was refused or was interrupted,
 * or a VM that changed state on its own in a way that looks like trouble. Kept in the outbox
 * until both have been mailed.
 *
 * @param id the outbox file name
 * @param record the outcome as its history line (JSON), or null for a VM event
 * @param state the VM's state when it happened, or null if unknown
 * @param count how many notices this one stands for: 1, or for a user's digest the notices
 *     counted in it instead of queued one by one
 */
public record Notice(
    String id,
    Instant created,
    String user,
    String vm,
    String what,
    String result,
    String message,
    String record,
    String state,
    boolean sentToUser,
    boolean sentToAdmin,
    long count) {

  public Notice {
    Fields.requireNonNull("id created user vm what result message",
        id, created, user, vm, what, result, message);
    vm = SafeText.escape(vm);
    what = SafeText.escape(what);
    message = SafeText.escape(message);
    state = SafeText.escape(state);
    if (count < 1) {
      throw new IllegalArgumentException("count must be at least 1, not " + count);
    }
  }

  /** A notice of one event. */
  Notice(String id, Instant created, String user, String vm, String what, String result,
      String message, String record, String state, boolean sentToUser, boolean sentToAdmin) {
    this(id, created, user, vm, what, result, message, record, state, sentToUser, sentToAdmin, 1);
  }

  Notice userSent() {
    return new Notice(id, created, user, vm, what, result, message, record, state, true, sentToAdmin,
        count);
  }

  Notice adminSent() {
    return new Notice(id, created, user, vm, what, result, message, record, state, sentToUser, true,
        count);
  }
}
