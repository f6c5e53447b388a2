package org.wirt.command;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.wirt.hypervisor.DomainState;
import org.wirt.hypervisor.DomainStatus;
import org.wirt.hypervisor.Hypervisor;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.verbs.Transitions;

/**
 * Turns a {@link Command} into hypervisor calls. This is where a {@code start} file becomes a
 * libvirt call.
 *
 * <p>The power verbs are idempotent in effect: starting a running VM or stopping a VM that is off
 * succeeds with a message saying so, because the user's wish already holds. {@code stop} does not
 * hold a worker while the guest shuts down: it completes later, when a lifecycle event or a poll
 * sees the domain off, or when its timeout runs out.
 */
public final class CommandExecutor {
  static final Duration STOP_POLL = Duration.ofMillis(250);

  private final Hypervisor hypervisor;
  private final ScheduledExecutorService timer;
  private final Clock clock;
  private final Map<UUID, Runnable> stopChecks = new ConcurrentHashMap<>();

  public CommandExecutor(Hypervisor hypervisor, ScheduledExecutorService timer, Clock clock) {
    this.hypervisor = Objects.requireNonNull(hypervisor, "hypervisor");
    this.timer = Objects.requireNonNull(timer, "timer");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * Performs the command on the domain.
   *
   * @return a future completed with the success message, or exceptionally with a {@link
   *     HypervisorException} whose message says what failed
   */
  public CompletableFuture<String> execute(Command command, ManagedDomain domain) {
    try {
      if (command instanceof Command.Stop stop) {
        return stop(stop, domain);
      }
      return CompletableFuture.completedFuture(now(command, domain));
    } catch (HypervisorException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * After a crash, brings the domain to what an interrupted command wanted where repeating it is
   * safe (the verb is idempotent in effect), and says what was found and done. A reboot or reset
   * is never repeated: whether it happened cannot be told, and a second one would be visible.
   */
  static final java.time.Duration RECONCILE_JOB_WAIT = java.time.Duration.ofSeconds(60);

  public String reconcile(Command command, ManagedDomain d) throws HypervisorException {
    // A start the killed wirtd asked for may still be under way in libvirt, and may yet fail:
    // the state is read once libvirt has finished with the domain.
    hypervisor.awaitNoJob(d.uuid(), RECONCILE_JOB_WAIT);
    DomainState state = hypervisor.status(d.uuid()).state();
    String found = "found " + d.name() + " " + state.json();
    Verb verb = command.verb();
    return found + switch (Transitions.afterCrash(verb, state)) {
      case HOLDS -> ": the " + verb.fileName() + " had taken effect";
      case CANNOT -> verb == Verb.STOP ? "; left it as it is" : "; nothing to do";
      case ACTS -> {
        if (verb == Verb.STOP) {
          hypervisor.shutdown(d.uuid());
        } else {
          act(command, d.uuid());
        }
        yield "; " + switch (verb) {
          case START -> "started it";
          case DESTROY -> "powered it off";
          case STOP -> "asked it again to shut down (not waiting for it)";
          case SUSPEND -> "paused it";
          case RESUME -> "resumed it";
          default -> "set autostart " + (((Command.Autostart) command).enabled() ? "on" : "off")
              + " again";
        };
      }
      case NOT_REPEATED -> verb == Verb.REBOOT || verb == Verb.RESET
          ? "; a " + verb.fileName() + " may or may not have happened and is not repeated"
          : "; nothing to repeat";
    };
  }

  /** Tells a waiting {@code stop} to look at its domain now (a lifecycle event arrived). */
  public void poke(UUID uuid) {
    Runnable check = stopChecks.get(uuid);
    if (check != null) {
      timer.execute(check);
    }
  }

  private String now(Command command, ManagedDomain d) throws HypervisorException {
    Verb verb = command.verb();
    String name = d.name();
    DomainState state = hypervisor.status(d.uuid()).state();
    return switch (Transitions.command(verb, state)) {
      case HOLDS -> switch (verb) {
        case STATUS -> name + " is " + state.json();
        case DESTROY -> name + " is already off";
        case SUSPEND -> name + " is already paused";
        default -> name + " is already running";
      };
      case CANNOT -> throw new HypervisorException(verb.fileName() + " " + name + ": it is "
          + state.json() + (verb == Verb.RESUME ? ", not paused" : ", not running")
          + "; write 'start' to boot it");
      case ACTS -> {
        act(command, d.uuid());
        yield switch (verb) {
          case START -> "started " + name;
          case DESTROY -> "powered off " + name;
          case REBOOT -> "asked " + name + " to reboot (ACPI)";
          case RESET -> "reset " + name;
          case SUSPEND -> "paused " + name;
          case RESUME -> "resumed " + name;
          default -> (((Command.Autostart) command).enabled() ? "enabled" : "disabled")
              + " autostart of " + name;
        };
      }
      case NOT_REPEATED -> throw new IllegalStateException("not a step of a command");
    };
  }

  private void act(Command command, UUID id) throws HypervisorException {
    switch (command.verb()) {
      case START -> hypervisor.start(id);
      case DESTROY -> hypervisor.destroy(id);
      case REBOOT -> hypervisor.reboot(id);
      case RESET -> hypervisor.reset(id);
      case SUSPEND -> hypervisor.suspend(id);
      case RESUME -> hypervisor.resume(id);
      case AUTOSTART -> hypervisor.setAutostart(id, ((Command.Autostart) command).enabled());
      default -> throw new IllegalStateException(command.verb().fileName() + " is not a power verb");
    }
  }

  private CompletableFuture<String> stop(Command.Stop stop, ManagedDomain d)
      throws HypervisorException {
    DomainStatus status = hypervisor.status(d.uuid());
    Transitions.Step step = Transitions.command(Verb.STOP, status.state());
    if (step == Transitions.Step.HOLDS) {
      return CompletableFuture.completedFuture(d.name() + " is already off");
    }
    if (step == Transitions.Step.CANNOT) {
      throw new HypervisorException("stop " + d.name() + ": it is paused and cannot react to the "
          + "power button; write 'resume' first, or 'destroy' to power it off");
    }
    hypervisor.shutdown(d.uuid());
    Instant started = clock.instant();
    Instant deadline = started.plus(stop.timeout());
    CompletableFuture<String> result = new CompletableFuture<>();
    Runnable check = new Runnable() {
      @Override
      public void run() {
        if (result.isDone()) {
          return;
        }
        try {
          if (hypervisor.status(d.uuid()).state().isOff()) {
            long ms = Duration.between(started, clock.instant()).toMillis();
            result.complete("shut down " + d.name() + " in " + ms + " ms");
          } else if (!clock.instant().isBefore(deadline)) {
            if (stop.force()) {
              hypervisor.destroy(d.uuid());
              result.complete(d.name() + " did not shut down within " + stop.timeout().toSeconds()
                  + " s; powered it off (force)");
            } else {
              result.completeExceptionally(new HypervisorException("stop " + d.name()
                  + ": still running " + stop.timeout().toSeconds() + " s after the ACPI power "
                  + "button; the guest may ignore ACPI. Write 'force' into stop to power it off "
                  + "after the timeout, or write 'destroy'"));
            }
          } else {
            timer.schedule(this, STOP_POLL.toMillis(), TimeUnit.MILLISECONDS);
          }
        } catch (HypervisorException e) {
          result.completeExceptionally(e);
        } catch (RuntimeException | Error e) {
          // The worker that waits for this result releases the VM and hands the failure to
          // ThreadFailures; a check that died here would hold the VM forever.
          result.completeExceptionally(e);
        }
      }
    };
    stopChecks.put(d.uuid(), check);
    result.whenComplete((m, e) -> stopChecks.remove(d.uuid(), check));
    timer.schedule(check, STOP_POLL.toMillis(), TimeUnit.MILLISECONDS);
    return result;
  }
}
