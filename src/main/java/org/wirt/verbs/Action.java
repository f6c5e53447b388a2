package org.wirt.verbs;

import org.wirt.command.Command;
import org.wirt.command.Refusal;
import org.wirt.hypervisor.HypervisorException;

/**
 * What one verb does (SPEC 5): what it checks before its command is claimed, what running it does,
 * and what it finds and does again when a crash interrupted it (SPEC 4).
 *
 * @param <C> the command this verb's file holds
 */
interface Action<C extends Command> {

  /** The command this action performs. */
  Class<C> type();

  /**
   * Checks the command before it is claimed; nothing is changed yet.
   *
   * @return what running it does, and the domain its claim names
   * @throws Refusal naming what is wrong and what would be accepted
   */
  Checked check(Target target, C command) throws Refusal, HypervisorException;

  /**
   * Reconciles a command a crash interrupted against libvirt's state: repeats it where that is
   * safe, and says what was found and done.
   */
  Reconciled reconcile(Interrupted interrupted, C command) throws HypervisorException;
}
