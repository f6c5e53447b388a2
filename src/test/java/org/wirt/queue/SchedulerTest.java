package org.wirt.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SchedulerTest {
  private final Scheduler scheduler = new Scheduler();

  private VmKey take() throws InterruptedException {
    return scheduler.take(0, TimeUnit.SECONDS).orElseThrow();
  }

  @Test
  void aBusyVmIsNotHandedOutTwice() throws InterruptedException {
    VmKey web = new VmKey("alice", "web");
    scheduler.signal(web);
    assertEquals(web, take());
    scheduler.signal(web);
    assertEquals(Optional.empty(), scheduler.take(0, TimeUnit.SECONDS));
    scheduler.release(web, false);
    assertEquals(web, take(), "the signal while busy queues it again after release");
  }

  @Test
  void signalsWhileQueuedDoNotDuplicate() throws InterruptedException {
    VmKey web = new VmKey("alice", "web");
    for (int i = 0; i < 100; i++) {
      scheduler.signal(web);
    }
    assertEquals(web, take());
    assertEquals(Optional.empty(), scheduler.take(0, TimeUnit.SECONDS));
  }

  @Test
  void oneUsersBacklogDelaysAnotherByOneTurnPerWorker() throws InterruptedException {
    VmKey flood = new VmKey("mallory", "web");
    VmKey other = new VmKey("bob", "db");
    scheduler.signal(flood);
    VmKey first = take();
    assertEquals(flood, first);
    scheduler.signal(other);
    scheduler.release(flood, true);
    assertEquals(other, take(), "bob's VM comes before mallory's next command");
  }

  @Test
  void usersAreServedRoundRobinWhateverTheirNumberOfVms() throws InterruptedException {
    for (int i = 0; i < 1000; i++) {
      scheduler.signal(new VmKey("mallory", "vm" + i));
    }
    scheduler.signal(new VmKey("bob", "web"));
    scheduler.signal(new VmKey("carol", "web"));
    List<String> users = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      users.add(take().user());
    }
    assertEquals(List.of("mallory", "bob", "carol"), users);
    assertEquals("mallory", take().user());
  }

  @Test
  void vmsOfOneUserTakeTurns() throws InterruptedException {
    VmKey a = new VmKey("alice", "a");
    VmKey b = new VmKey("alice", "b");
    scheduler.signal(a);
    scheduler.signal(b);
    assertEquals(a, take());
    scheduler.release(a, true);
    assertEquals(b, take());
    scheduler.release(b, true);
    assertEquals(a, take());
  }

  @Test
  void dirtyIsReportedOnceAfterASignal() throws InterruptedException {
    VmKey web = new VmKey("alice", "web");
    scheduler.signal(web);
    take();
    assertTrue(scheduler.takeDirty(web));
    assertFalse(scheduler.takeDirty(web));
    scheduler.signal(web);
    assertTrue(scheduler.takeDirty(web));
  }

  @Test
  void releasingAnIdleVmIsAnError() {
    assertThrows(IllegalStateException.class, () -> scheduler.release(new VmKey("a", "b"), false));
  }

  @Test
  void closeWakesWaitingWorkers() throws Exception {
    Thread closer = new Thread(() -> scheduler.close());
    closer.start();
    assertEquals(Optional.empty(), scheduler.take(30, TimeUnit.SECONDS));
    closer.join();
    assertTrue(scheduler.isClosed());
  }

  @Test
  void concurrentWorkersNeverHoldTheSameVm() throws Exception {
    Set<VmKey> held = java.util.Collections.synchronizedSet(new HashSet<>());
    List<Thread> workers = new ArrayList<>();
    java.util.concurrent.atomic.AtomicInteger served = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicReference<String> failure = new java.util.concurrent.atomic.AtomicReference<>();
    for (int w = 0; w < 4; w++) {
      Thread t = new Thread(() -> {
        try {
          while (served.get() < 2000) {
            Optional<VmKey> key = scheduler.take(100, TimeUnit.MILLISECONDS);
            if (key.isEmpty()) {
              continue;
            }
            if (!held.add(key.get())) {
              failure.set(key.get() + " held twice");
            }
            served.incrementAndGet();
            held.remove(key.get());
            scheduler.release(key.get(), served.get() < 2000);
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      workers.add(t);
      t.start();
    }
    for (int i = 0; i < 8; i++) {
      scheduler.signal(new VmKey("u" + (i % 3), "vm" + i));
    }
    for (Thread t : workers) {
      t.join(30_000);
    }
    scheduler.close();
    assertEquals(null, failure.get());
    assertTrue(served.get() >= 2000);
  }
}
