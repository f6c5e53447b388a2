package org.wirt.queue;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Decides which VM a free worker serves next (SPEC 4).
 *
 * <p>A VM is either idle, queued (it may have commands) or busy (a worker holds it). A busy VM is
 * never handed out again, so each VM runs one command at a time. Queued VMs wait in their user's
 * queue, and users with queued VMs wait in a ring: a worker takes the first user of the ring, that
 * user's first VM, and puts the user back at the end of the ring. So a user with a backlog of
 * thousands gets one turn per round, like everyone else, and never delays another user's next
 * command by more than one command per worker.
 *
 * <p>The scheduler holds VMs, not files: which command of a VM comes first is decided by the worker
 * when it lists that VM's directory. That keeps memory bounded by the number of VMs, whatever a user
 * floods their directory with.
 */
public final class Scheduler {
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition ready = lock.newCondition();
  private final ArrayDeque<String> ring = new ArrayDeque<>();
  private final Map<String, ArrayDeque<VmKey>> queues = new HashMap<>();
  private final Map<VmKey, Slot> slots = new HashMap<>();
  private boolean closed;

  private static final class Slot {
    boolean queued;
    boolean busy;
    boolean dirty;
  }

  /** Says the VM may have new commands; queues it unless it is queued or busy already. */
  public void signal(VmKey key) {
    lock.lock();
    try {
      Slot slot = slots.computeIfAbsent(key, k -> new Slot());
      slot.dirty = true;
      if (!slot.busy && !slot.queued) {
        enqueue(key, slot);
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits for the next VM to serve and marks it busy.
   *
   * @return the VM, or empty on timeout or after {@link #close()}
   */
  public Optional<VmKey> take(long timeout, TimeUnit unit) throws InterruptedException {
    long nanos = unit.toNanos(timeout);
    lock.lock();
    try {
      while (ring.isEmpty() && !closed) {
        if (nanos <= 0) {
          return Optional.empty();
        }
        nanos = ready.awaitNanos(nanos);
      }
      if (closed) {
        return Optional.empty();
      }
      String user = ring.pollFirst();
      ArrayDeque<VmKey> queue = queues.get(user);
      VmKey key = queue.pollFirst();
      if (queue.isEmpty()) {
        queues.remove(user);
      } else {
        ring.addLast(user);
      }
      Slot slot = slots.get(key);
      slot.queued = false;
      slot.busy = true;
      return Optional.of(key);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Returns whether the VM was signalled since the last call, and clears that mark. A worker that
   * sees true lists the VM's directory again instead of trusting what it listed before.
   */
  public boolean takeDirty(VmKey key) {
    lock.lock();
    try {
      Slot slot = slots.get(key);
      if (slot == null || !slot.dirty) {
        return false;
      }
      slot.dirty = false;
      return true;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Ends a worker's turn on a busy VM. The VM goes to the back of its user's queue if it has more
   * commands or was signalled meanwhile; otherwise it becomes idle.
   */
  public void release(VmKey key, boolean more) {
    lock.lock();
    try {
      Slot slot = slots.get(key);
      if (slot == null || !slot.busy) {
        throw new IllegalStateException(key + " is not busy");
      }
      slot.busy = false;
      if (more || slot.dirty) {
        enqueue(key, slot);
      } else {
        slots.remove(key);
      }
    } finally {
      lock.unlock();
    }
  }

  /** Returns how many VMs are queued or busy, per user, for status reports. */
  public Map<String, Integer> depths() {
    lock.lock();
    try {
      Map<String, Integer> depths = new HashMap<>();
      slots.forEach((k, s) -> depths.merge(k.user(), 1, Integer::sum));
      return depths;
    } finally {
      lock.unlock();
    }
  }

  public boolean isClosed() {
    lock.lock();
    try {
      return closed;
    } finally {
      lock.unlock();
    }
  }

  /** Wakes every waiting worker; {@link #take} returns empty from now on. */
  public void close() {
    lock.lock();
    try {
      closed = true;
      ready.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private void enqueue(VmKey key, Slot slot) {
    slot.queued = true;
    ArrayDeque<VmKey> queue = queues.computeIfAbsent(key.user(), u -> new ArrayDeque<>());
    if (queue.isEmpty()) {
      ring.addLast(key.user());
    }
    queue.addLast(key);
    ready.signal();
  }
}
