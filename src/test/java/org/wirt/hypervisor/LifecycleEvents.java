package org.wirt.hypervisor;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Collects lifecycle events and waits for particular ones: a blocking take with a deadline, so
 * nothing is polled (the polling waits go through {@link org.wirt.testing.Await}).
 */
final class LifecycleEvents implements Consumer<LifecycleEvent> {
  private final BlockingQueue<LifecycleEvent> queue = new LinkedBlockingQueue<>();
  private final List<LifecycleEvent> seen = new ArrayList<>();

  @Override
  public void accept(LifecycleEvent event) {
    queue.add(event);
  }

  /** Returns the first event of this type for this domain, waiting up to {@code timeout}. */
  LifecycleEvent next(UUID uuid, String type, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (LifecycleEvent event : seen) {
      if (event.uuid().equals(uuid) && event.type().equals(type)) {
        seen.remove(event);
        return event;
      }
    }
    while (true) {
      long left = deadline - System.nanoTime();
      LifecycleEvent event = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : null;
      if (event == null) {
        return fail("no '" + type + "' event for " + uuid + " within " + timeout.toMillis()
            + " ms; saw " + seen);
      }
      if (event.uuid().equals(uuid) && event.type().equals(type)) {
        return event;
      }
      seen.add(event);
    }
  }
}
