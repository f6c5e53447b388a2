package org.wirt.verbs;

import static org.wirt.hypervisor.DomainState.CRASHED;
import static org.wirt.hypervisor.DomainState.PAUSED;
import static org.wirt.hypervisor.DomainState.RUNNING;
import static org.wirt.hypervisor.DomainState.SHUTOFF;
import static org.wirt.verbs.Transitions.Step.ACTS;
import static org.wirt.verbs.Transitions.Step.CANNOT;
import static org.wirt.verbs.Transitions.Step.HOLDS;
import static org.wirt.verbs.Transitions.Step.NOT_REPEATED;

import org.wirt.command.Verb;
import org.wirt.hypervisor.DomainState;

/**
 * The one table of verb × domain state (SPEC 5): from the state libvirt reports, whether the
 * user's wish holds already, the verb acts, or it cannot; and, for a command a crash interrupted,
 * what is safe to do again (SPEC 4). Every verb reads its row here; none compares states itself.
 */
final class Transitions {
  private Transitions() {}

  /** What a verb does from a state. */
  enum Step {
    /** The wish holds already: nothing to do, and that is a success. */
    HOLDS,
    /** The verb acts; after a crash, it is done again. */
    ACTS,
    /** Not from this state: a command is refused or fails; a reconcile leaves the domain alone. */
    CANNOT,
    /**
     * After a crash: not done again, because there is nothing to do again, or because whether it
     * happened cannot be told and a second one would be visible (a reboot, a reset).
     */
    NOT_REPEATED
  }

  /** What the verb does from state {@code s} when a command asks for it. */
  static Step command(Verb verb, DomainState s) {
    return switch (verb) {
      case START -> s == RUNNING || s == PAUSED ? HOLDS : ACTS;
      case STOP -> s.isOff() ? HOLDS : s == PAUSED ? CANNOT : ACTS;
      case DESTROY -> s == SHUTOFF || s == CRASHED ? HOLDS : ACTS;
      case REBOOT, RESET -> s == RUNNING ? ACTS : CANNOT;
      case SUSPEND -> s == PAUSED ? HOLDS : s == RUNNING ? ACTS : CANNOT;
      case RESUME -> s == RUNNING ? HOLDS : s == PAUSED ? ACTS : CANNOT;
      case STATUS -> HOLDS;
      case AUTOSTART, CONFIG, SNAPSHOT_DELETE -> ACTS;
      case DELETE -> s == SHUTOFF || s == CRASHED ? ACTS : CANNOT;
      case SNAPSHOT, REVERT, CONSOLIDATE -> s == SHUTOFF ? ACTS : CANNOT;
      // A create has no domain to be in a state: one that exists is refused before this.
      case CREATE -> CANNOT;
    };
  }

  /**
   * What is done again from state {@code s} when a crash interrupted the verb. A stop asks again
   * only a running guest (one shutting down is left to it); a destroy finds a domain gone off.
   */
  static Step afterCrash(Verb verb, DomainState s) {
    return switch (verb) {
      case START, SUSPEND, RESUME, AUTOSTART -> command(verb, s);
      case STOP -> s.isOff() ? HOLDS : s == RUNNING ? ACTS : CANNOT;
      case DESTROY -> s.isOff() ? HOLDS : ACTS;
      case REBOOT, RESET, STATUS, CREATE, DELETE, CONFIG, SNAPSHOT, REVERT, SNAPSHOT_DELETE,
          CONSOLIDATE -> NOT_REPEATED;
    };
  }
}
