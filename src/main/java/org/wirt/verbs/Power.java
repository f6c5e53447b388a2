package org.wirt.verbs;

import org.wirt.command.Verb;
import org.wirt.hypervisor.DomainState;
import org.wirt.hypervisor.Hypervisor;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.ManagedDomain;

/**
 * What the power verbs share: a command does what {@link Transitions#command} says for the
 * domain's state now, a reconcile what {@link Transitions#afterCrash} says. They are idempotent in
 * effect: where the user's wish holds already, the command succeeds saying so. Each verb gives its
 * libvirt call and its words.
 */
final class Power {
  private Power() {}

  /** The verb's libvirt call. */
  @FunctionalInterface
  interface Call {
    void run() throws HypervisorException;
  }

  /**
   * What a power verb says; {@code holds} and {@code did} are format patterns of the domain's name
   * and its state.
   *
   * @param holds the wish holds already: {@code "%s is already off"}
   * @param did the call was made: {@code "powered off %s"}
   * @param cannot why not, after {@code "<verb> <domain>: it is <state>"}
   * @param again after a crash, the call was made again: {@code "powered it off"}
   */
  record Words(String holds, String did, String cannot, String again) {}

  /** Performs the verb on the domain as its state now allows; returns what it did. */
  static String now(Hypervisor hypervisor, Verb verb, ManagedDomain d, Words words, Call call)
      throws HypervisorException {
    DomainState state = hypervisor.status(d.uuid()).state();
    return switch (Transitions.command(verb, state)) {
      case HOLDS -> String.format(words.holds(), d.name(), state.json());
      case ACTS -> {
        call.run();
        yield String.format(words.did(), d.name(), state.json());
      }
      case CANNOT, NOT_REPEATED -> throw new HypervisorException(verb.fileName() + " " + d.name()
          + ": it is " + state.json() + words.cannot());
    };
  }

  /** Does the verb again after a crash where the table says so; returns what it found and did. */
  static String again(Verb verb, DomainState state, Words words, Call call)
      throws HypervisorException {
    return switch (Transitions.afterCrash(verb, state)) {
      case HOLDS -> ": the " + verb.fileName() + " had taken effect";
      case ACTS -> {
        call.run();
        yield "; " + words.again();
      }
      case CANNOT -> "; nothing to do";
      case NOT_REPEATED -> "; nothing to repeat";
    };
  }
}
