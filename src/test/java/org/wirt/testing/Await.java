package org.wirt.testing;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The one way tests wait: poll a condition until it holds or a deadline passes, then fail with a
 * message naming what was awaited, how long, and the last value (or exception) seen. A condition
 * that throws an {@link Exception} has simply not held yet (a file half written, a process not
 * answering); an {@link Error}, such as a failed assertion, ends the wait at once.
 *
 * <pre>{@code
 * Await.until("status.json says running", () -> "running".equals(state()));
 * JsonNode line = Await.value("history line 2", Duration.ofSeconds(60), () -> history(), h -> h.size() >= 2);
 * }</pre>
 */
public final class Await {
  /** How long a wait lasts unless the test says otherwise. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(20);
  /** The first pause between looks, doubled up to {@link #MAX_PAUSE_NANOS}: quick answers are seen quickly. */
  private static final long FIRST_PAUSE_NANOS = 1_000_000;
  private static final long MAX_PAUSE_NANOS = 10_000_000;

  private Await() {}

  /** Something that holds or not yet. */
  @FunctionalInterface
  public interface Condition {
    boolean holds() throws Exception;
  }

  /** Reads the value a wait looks at. */
  @FunctionalInterface
  public interface Probe<T> {
    T read() throws Exception;
  }

  /** Waits up to {@link #DEFAULT_TIMEOUT} until {@code condition} holds. */
  public static void until(String what, Condition condition) throws InterruptedException {
    until(what, DEFAULT_TIMEOUT, condition);
  }

  /** Waits up to {@code timeout} until {@code condition} holds. */
  public static void until(String what, Duration timeout, Condition condition)
      throws InterruptedException {
    until(what, timeout, () -> "", condition);
  }

  /**
   * Waits up to {@code timeout} until {@code condition} holds; on failure the message ends with
   * {@code context} (e.g. the output of the process the test waits on).
   */
  public static void until(String what, Duration timeout, Supplier<String> context,
      Condition condition) throws InterruptedException {
    Objects.requireNonNull(condition, "condition");
    value(what, timeout, context, condition::holds, Boolean.TRUE::equals);
  }

  /** Waits up to {@code timeout} until {@code probe} reads a value {@code ok} accepts; returns it. */
  public static <T> T value(String what, Duration timeout, Probe<T> probe, Predicate<? super T> ok)
      throws InterruptedException {
    return value(what, timeout, () -> "", probe, ok);
  }

  /**
   * Waits up to {@code timeout} until {@code probe} reads a value {@code ok} accepts and returns
   * it; fails naming {@code what}, the last value or exception seen, and {@code context}.
   */
  public static <T> T value(String what, Duration timeout, Supplier<String> context,
      Probe<T> probe, Predicate<? super T> ok) throws InterruptedException {
    Objects.requireNonNull(what, "what");
    Objects.requireNonNull(probe, "probe");
    Objects.requireNonNull(ok, "ok");
    long start = System.nanoTime();
    long pause = FIRST_PAUSE_NANOS;
    Object last = "nothing yet";
    while (true) {
      try {
        T value = probe.read();
        if (ok.test(value)) {
          return value;
        }
        last = value;
      } catch (InterruptedException e) {
        throw e;
      } catch (Exception e) {
        last = e;
      }
      long elapsed = System.nanoTime() - start;
      if (elapsed > timeout.toNanos()) {
        String more = context.get();
        throw new AssertionError("not within " + describe(timeout) + ": " + what + " (last seen: "
            + last + ")" + (more == null || more.isEmpty() ? "" : "\n" + more));
      }
      Thread.sleep(pause / 1_000_000, (int) (pause % 1_000_000));
      pause = Math.min(2 * pause, MAX_PAUSE_NANOS);
    }
  }

  private static String describe(Duration timeout) {
    return timeout.toMillis() % 1000 == 0 ? timeout.toSeconds() + " s" : timeout.toMillis() + " ms";
  }
}
