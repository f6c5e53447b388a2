package org.wirt.verbs;

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
import org.wirt.command.Command;
import org.wirt.command.Refusal;
import org.wirt.command.Verb;
import org.wirt.hypervisor.Hypervisor;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.ManagedDomain;

/**
 * {@code stop} (SPEC 5): the ACPI power button, then waiting until the guest is off. It holds no
 * worker meanwhile: it completes later, when a lifecycle event ({@link #poke}) or a poll sees the
 * domain off, or when its timeout runs out; then it fails, or with {@code force} powers off.
 */
final class Stop implements Action<Command.Stop> {
  static final Duration POLL = Duration.ofMillis(250);

  private final Hypervisor hypervisor;
  private final ScheduledExecutorService timer;
  private final Clock clock;
  private final Map<UUID, Runnable> waiting = new ConcurrentHashMap<>();

  Stop(Hypervisor hypervisor, ScheduledExecutorService timer, Clock clock) {
    this.hypervisor = Objects.requireNonNull(hypervisor, "hypervisor");
    this.timer = Objects.requireNonNull(timer, "timer");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  @Override
  public Class<Command.Stop> type() {
    return Command.Stop.class;
  }

  @Override
  public Checked check(Target target, Command.Stop command) throws Refusal {
    ManagedDomain d = target.domain();
    return Checked.on(d, self -> stop(command, d));
  }

  /** Tells a waiting stop to look at its domain now (a lifecycle event arrived). */
  void poke(UUID uuid) {
    Runnable check = waiting.get(uuid);
    if (check != null) {
      timer.execute(check);
    }
  }

  @Override
  public Reconciled reconcile(Interrupted interrupted, Command.Stop command)
      throws HypervisorException {
    return interrupted.onDomain(hypervisor, (d, state) ->
        switch (Transitions.afterCrash(Verb.STOP, state)) {
          case HOLDS -> ": the stop had taken effect";
          case ACTS -> {
            hypervisor.shutdown(d.uuid());
            yield "; asked it again to shut down (not waiting for it)";
          }
          case CANNOT -> "; left it as it is";
          case NOT_REPEATED -> "; nothing to repeat";
        });
  }

  private CompletableFuture<String> stop(Command.Stop stop, ManagedDomain d)
      throws HypervisorException {
    switch (Transitions.command(Verb.STOP, hypervisor.status(d.uuid()).state())) {
      case HOLDS:
        return Checked.done(d.name() + " is already off");
      case CANNOT:
      case NOT_REPEATED:
        throw new HypervisorException("stop " + d.name() + ": it is paused and cannot react to "
            + "the power button; write 'resume' first, or 'destroy' to power it off");
      case ACTS:
        break;
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
            timedOut(stop, d, result);
          } else {
            timer.schedule(this, POLL.toMillis(), TimeUnit.MILLISECONDS);
          }
        } catch (HypervisorException | RuntimeException | Error e) {
          // The worker that waits for this result releases the VM and hands a failure other than
          // libvirt's to ThreadFailures; a check that died here would hold the VM forever.
          result.completeExceptionally(e);
        }
      }
    };
    waiting.put(d.uuid(), check);
    result.whenComplete((m, e) -> waiting.remove(d.uuid(), check));
    timer.schedule(check, POLL.toMillis(), TimeUnit.MILLISECONDS);
    return result;
  }

  private void timedOut(Command.Stop stop, ManagedDomain d, CompletableFuture<String> result)
      throws HypervisorException {
    if (stop.force()) {
      hypervisor.destroy(d.uuid());
      result.complete(d.name() + " did not shut down within " + stop.timeout().toSeconds()
          + " s; powered it off (force)");
    } else {
      result.completeExceptionally(new HypervisorException("stop " + d.name() + ": still "
          + "running " + stop.timeout().toSeconds() + " s after the ACPI power button; the guest "
          + "may ignore ACPI. Write 'force' into stop to power it off after the timeout, or write "
          + "'destroy'"));
    }
  }
}
