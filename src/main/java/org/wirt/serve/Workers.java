package org.wirt.serve;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.wirt.queue.Scheduler;
import org.wirt.queue.VmKey;
import org.wirt.threads.ThreadFailures;

/**
 * The worker threads (SPEC 4): each takes a VM from the scheduler and serves one command of it
 * ({@link VmServer}), so different VMs and users run concurrently, bounded by {@code workers}.
 * While draining ({@code wirtctl drain}), none is taken; running ones finish.
 */
public final class Workers {
  private final Scheduler scheduler;
  private final VmServer server;
  private final ThreadFailures failures;
  private final List<Thread> threads = new ArrayList<>();
  private final AtomicBoolean draining = new AtomicBoolean();
  private final AtomicInteger busy = new AtomicInteger();

  public Workers(Scheduler scheduler, VmServer server, ThreadFailures failures) {
    this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    this.server = Objects.requireNonNull(server, "server");
    this.failures = Objects.requireNonNull(failures, "failures");
  }

  /** Starts {@code count} workers, platform threads (file access switches their identity). */
  public void start(int count) {
    for (int i = 0; i < count; i++) {
      Thread worker = new Thread(this::work, "wirt-worker-" + i);
      worker.setDaemon(true);
      threads.add(worker);
      worker.start();
    }
  }

  /**
   * Stops taking commands, or takes them again.
   *
   * @return whether that changed anything
   */
  public boolean drain(boolean on) {
    return draining.getAndSet(on) != on;
  }

  /** Whether commands are not taken now. */
  public boolean draining() {
    return draining.get();
  }

  /** Returns the number of commands running now. */
  public int running() {
    return busy.get();
  }

  /** Stops taking commands for good: the scheduler is closed, and the workers end. */
  public void stopTaking() {
    draining.set(true);
    scheduler.close();
  }

  /** Waits, up to {@code wait} for each, until the workers have ended. */
  public void join(Duration wait) {
    for (Thread worker : threads) {
      try {
        worker.join(wait.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void work() {
    String thread = Thread.currentThread().getName();
    while (!scheduler.isClosed()) {
      try {
        if (!turn()) {
          return;
        }
      } catch (Throwable e) {
        failures.caught(thread, e);
      }
    }
  }

  /**
   * Takes one VM and serves one command of it. Whatever serving throws, the VM is released (a VM
   * never released would never be served again) and the failure goes to {@link ThreadFailures}.
   *
   * @return false once the worker is interrupted
   */
  private boolean turn() {
    Optional<VmKey> next;
    try {
      if (draining.get()) {
        // Queued commands stay where they are until `wirtctl drain --off` or a restart.
        Thread.sleep(200);
        return true;
      }
      next = scheduler.take(1, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      return false;
    }
    if (next.isEmpty()) {
      return true;
    }
    VmKey key = next.get();
    if (draining.get()) {
      // Taken just as draining began: give it back untouched.
      scheduler.release(key, true);
      return true;
    }
    CompletableFuture<Boolean> turn;
    busy.incrementAndGet();
    try {
      turn = server.serve(key);
    } catch (Throwable e) {
      turn = CompletableFuture.failedFuture(e);
    }
    turn.whenComplete((more, error) -> {
      busy.decrementAndGet();
      scheduler.release(key, Boolean.TRUE.equals(more));
      if (error != null) {
        failures.caught("serving user=" + key.user() + " vm=" + key.vm(), error);
      }
    });
    return true;
  }
}
