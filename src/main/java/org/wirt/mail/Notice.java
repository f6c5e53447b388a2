package org.wirt.mail;

import java.time.Instant;
import java.util.Objects;
import org.wirt.text.SafeText;

/**
 * One thing to tell a user and root about: a command that failed, was refused or was interrupted,
 * or a VM that changed state on its own in a way that looks like trouble. Kept in the outbox
 * until both have been mailed.
 *
 * @param id the outbox file name
 * @param record the outcome as its history line (JSON), or null for a VM event
 * @param state the VM's state when it happened, or null if unknown
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
    boolean sentToAdmin) {

  public Notice {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(created, "created");
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(vm, "vm");
    Objects.requireNonNull(what, "what");
    Objects.requireNonNull(result, "result");
    Objects.requireNonNull(message, "message");
    vm = SafeText.escape(vm);
    what = SafeText.escape(what);
    message = SafeText.escape(message);
    state = SafeText.escape(state);
  }

  Notice userSent() {
    return new Notice(id, created, user, vm, what, result, message, record, state, true, sentToAdmin);
  }

  Notice adminSent() {
    return new Notice(id, created, user, vm, what, result, message, record, state, sentToUser, true);
  }
}
