package org.wirt.threads;

import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a wirtd thread does with a {@link Throwable} that reaches the top of its loop (SPEC 8: an
 * {@code Error} never leaves wirtd running with a thread dead).
 *
 * <ul>
 *   <li>A {@link VirtualMachineError} (out of memory, stack overflow, an internal JVM error) leaves
 *       the JVM in a state nothing can be trusted in: the failure is logged if the logger still
 *       can, and the process halts at once with {@link #VM_ERROR_EXIT}, so that systemd starts a
 *       fresh wirtd. Halting is what {@code kill -9} does, which the journal is made for: a
 *       command that was running is reconciled at the next start.
 *   <li>Anything else (a {@code RuntimeException}, another {@code Error} such as a {@code
 *       LinkageError}) is logged with the exception, and the loop goes on with its next turn.
 * </ul>
 *
 * <p>There is one policy per process ({@link #process()}), as there is one JVM to halt; it is
 * also the default uncaught exception handler of wirtd ({@link #uncaught()}). Tests make their own
 * with a halt that records the status instead.
 */
public final class ThreadFailures {
  /**
   * wirtd's exit status after a {@code VirtualMachineError}: 70 ({@code EX_SOFTWARE}), distinct
   * from 3 (bad configuration, which systemd does not restart), so that systemd restarts it.
   */
  public static final int VM_ERROR_EXIT = 70;

  private static final int MAX_CAUSES = 16;
  private static final Logger LOG = LoggerFactory.getLogger(ThreadFailures.class);
  private static final ThreadFailures PROCESS = new ThreadFailures(status -> Runtime.getRuntime().halt(status));

  /** Ends the process with a status, without running shutdown hooks. */
  @FunctionalInterface
  public interface Halt {
    void halt(int status);
  }

  private final Halt halt;

  /** A policy that calls {@code halt} on a {@code VirtualMachineError} (tests pass a recorder). */
  public ThreadFailures(Halt halt) {
    this.halt = Objects.requireNonNull(halt, "halt");
  }

  /** The policy of this process: it halts the JVM. */
  public static ThreadFailures process() {
    return PROCESS;
  }

  /**
   * Handles {@code failure}, caught at the top of one turn of {@code loop} (a thread name, or what
   * the turn was doing): halts on a {@code VirtualMachineError} anywhere in its causes, else logs
   * it and returns, and the caller goes on with its next turn.
   */
  public void caught(String loop, Throwable failure) {
    Throwable fatal = vmError(failure);
    if (fatal != null) {
      try {
        LOG.error("fatal JVM error loop=\"{}\" thread={}; wirtd halts with status {} so that systemd "
            + "restarts it", loop, Thread.currentThread().getName(), VM_ERROR_EXIT, failure);
      } catch (Throwable ignored) {
        // Out of memory even for the log line: halting matters more than saying why.
      }
      halt.halt(VM_ERROR_EXIT);
      return;
    }
    try {
      LOG.error("unexpected failure loop=\"{}\" thread={}; the loop goes on", loop,
          Thread.currentThread().getName(), failure);
    } catch (Throwable ignored) {
      // The loop goes on even if logging failed.
    }
  }

  /**
   * Runs one turn of a loop; whatever it throws is handled by {@link #caught}.
   *
   * @return whether the turn completed without throwing
   */
  public boolean turn(String loop, Runnable body) {
    try {
      body.run();
      return true;
    } catch (Throwable t) {
      caught(loop, t);
      return false;
    }
  }

  /** {@code body} run as one {@link #turn}, for an executor or a periodic task. */
  public Runnable guard(String loop, Runnable body) {
    Objects.requireNonNull(body, "body");
    return () -> turn(loop, body);
  }

  /**
   * The handler for threads that die of something their loop did not catch (installed with
   * {@link Thread#setDefaultUncaughtExceptionHandler}).
   */
  public Thread.UncaughtExceptionHandler uncaught() {
    return (thread, failure) -> caught("uncaught in " + thread.getName(), failure);
  }

  /**
   * A single-thread scheduled executor whose daemon thread is named {@code name}, where every task
   * that throws is handled by {@link #caught}: a plain executor keeps a task's failure in its
   * future, where nobody looks, and a periodic task that throws is silently never run again, so
   * periodic tasks must also guard their body ({@link #guard}).
   */
  public ScheduledExecutorService executor(String name) {
    AtomicInteger n = new AtomicInteger();
    ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, n.getAndIncrement() == 0 ? name : name + "-" + n.get());
      t.setDaemon(true);
      return t;
    }) {
      @Override
      protected void afterExecute(Runnable r, Throwable t) {
        super.afterExecute(r, t);
        Throwable failure = t;
        if (failure == null && r instanceof Future<?> f && f.isDone()) {
          try {
            f.get();
          } catch (CancellationException e) {
            return;
          } catch (ExecutionException e) {
            failure = e.getCause();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        if (failure != null) {
          caught(name, failure);
        }
      }
    };
    executor.setRemoveOnCancelPolicy(true);
    return executor;
  }

  private static Throwable vmError(Throwable failure) {
    Throwable t = failure;
    for (int i = 0; t != null && i < MAX_CAUSES; i++, t = t.getCause()) {
      if (t instanceof VirtualMachineError) {
        return t;
      }
    }
    return null;
  }
}
