package org.wirt.threads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ThreadFailuresTest {
  private final List<Integer> halted = java.util.Collections.synchronizedList(new ArrayList<>());
  private final ThreadFailures failures = new ThreadFailures(halted::add);

  @Test
  void aRuntimeExceptionOrAnErrorInATurnKeepsTheLoopGoing() {
    List<Runnable> bodies = List.of(
        () -> {
          throw new IllegalStateException("a bug");
        },
        () -> {
          throw new LinkageError("a class that did not load");
        },
        () -> {
          throw new AssertionError("an assertion");
        });
    int turns = 0;
    for (Runnable body : bodies) {
      assertFalse(failures.turn("test-loop", body));
      turns++;
    }
    assertTrue(failures.turn("test-loop", () -> { }));
    assertEquals(3, turns);
    assertEquals(List.of(), halted, "nothing but a VirtualMachineError halts");
  }

  @Test
  void aVirtualMachineErrorHaltsWithTheDocumentedStatus() {
    for (Throwable fatal : List.of(new OutOfMemoryError("Java heap space"),
        new StackOverflowError(), new InternalError("JIT"))) {
      failures.turn("test-loop", () -> {
        throw (Error) fatal;
      });
    }
    assertEquals(List.of(70, 70, 70), halted);
    assertEquals(70, ThreadFailures.VM_ERROR_EXIT);
  }

  @Test
  void theProcessPolicyHaltsARealJvmWithSeventyWhateverItsShutdownHooksDo() throws Exception {
    java.nio.file.Path log = java.nio.file.Files.createTempFile("wirt-fatal", ".out");
    Process p = new ProcessBuilder(
        java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), FatalErrorProgram.class.getName())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    boolean ended = p.waitFor(60, TimeUnit.SECONDS);
    if (!ended) {
      p.destroyForcibly();
    }
    String out = java.nio.file.Files.readString(log);
    java.nio.file.Files.delete(log);
    assertTrue(ended, "still running a minute later (a halt ends it at once):\n" + out);
    assertEquals(ThreadFailures.VM_ERROR_EXIT, p.exitValue(), out);
    assertTrue(out.contains("fatal JVM error loop=\"fatal-loop\" thread=fatal-loop; wirtd halts with"
        + " status 70 so that systemd restarts it"), out);
    assertTrue(out.contains("java.lang.OutOfMemoryError: Java heap space (thrown by the test)"), out);
  }

  @Test
  void aVirtualMachineErrorWrappedByAFutureStillHalts() {
    failures.caught("serving", new CompletionException(new OutOfMemoryError("Java heap space")));
    assertEquals(List.of(ThreadFailures.VM_ERROR_EXIT), halted);
  }

  @Test
  void anUncaughtVirtualMachineErrorHalts() throws Exception {
    Thread t = new Thread(() -> {
      throw new OutOfMemoryError("unable to create native thread");
    }, "test-thread");
    t.setUncaughtExceptionHandler(failures.uncaught());
    t.start();
    t.join();
    assertEquals(List.of(ThreadFailures.VM_ERROR_EXIT), halted);
  }

  @Test
  void aPeriodicGuardedTaskRunsOnAfterAnError() throws Exception {
    ScheduledExecutorService executor = failures.executor("test-periodic");
    try {
      AtomicInteger runs = new AtomicInteger();
      CountDownLatch three = new CountDownLatch(3);
      executor.scheduleWithFixedDelay(failures.guard("test-periodic", () -> {
        runs.incrementAndGet();
        three.countDown();
        throw new LinkageError("every time");
      }), 0, 1, TimeUnit.MILLISECONDS);
      assertTrue(three.await(20, TimeUnit.SECONDS), "the task ran again after throwing");
      assertEquals(List.of(), halted);
    } finally {
      executor.shutdownNow();
    }
  }

  @Test
  void theExecutorHandsATasksFailureToThePolicy() throws Exception {
    ScheduledExecutorService executor = failures.executor("test-executor");
    try {
      executor.execute(() -> {
        throw new OutOfMemoryError("Java heap space");
      });
      CountDownLatch after = new CountDownLatch(1);
      // The same single thread runs this only after the failing task and its afterExecute.
      executor.execute(after::countDown);
      assertTrue(after.await(20, TimeUnit.SECONDS));
      assertEquals(List.of(ThreadFailures.VM_ERROR_EXIT), halted);
    } finally {
      executor.shutdownNow();
    }
  }
}
