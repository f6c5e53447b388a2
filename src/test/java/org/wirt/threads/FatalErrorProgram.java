package org.wirt.threads;

import java.util.concurrent.CountDownLatch;

/**
 * A program for {@link ThreadFailuresTest}: a loop thread whose turn throws an OutOfMemoryError,
 * under the process policy, while a shutdown hook would block for ever and the main thread waits.
 * Only a halt ends it, with {@link ThreadFailures#VM_ERROR_EXIT}.
 */
final class FatalErrorProgram {
  private FatalErrorProgram() {}

  public static void main(String[] args) throws InterruptedException {
    CountDownLatch never = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        never.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }));
    Thread loop = new Thread(() -> {
      while (true) {
        ThreadFailures.process().turn("fatal-loop", () -> {
          throw new OutOfMemoryError("Java heap space (thrown by the test)");
        });
      }
    }, "fatal-loop");
    loop.setDaemon(false);
    loop.start();
    never.await();
  }
}
