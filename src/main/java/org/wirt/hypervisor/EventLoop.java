package org.wirt.hypervisor;

import java.time.Duration;
import org.libvirt.Library;
import org.libvirt.LibvirtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.threads.ThreadFailures;

/**
 * libvirt's default event loop, which is one per process: it runs on a daemon thread named
 * {@code libvirt-events} while at least one connection holds it. Public for the console stream
 * (virconsole), whose non-blocking stream is driven by it as {@code virsh console}'s is.
 */
public final class EventLoop {
  private static final Logger log = LoggerFactory.getLogger(EventLoop.class);
  private static final Duration STOP_WAIT = Duration.ofSeconds(5);
  private static final Duration STOP_RETRY = Duration.ofMillis(50);
  private static final Duration RESTART_PAUSE = Duration.ofSeconds(1);

  private static int holders;
  private static boolean registered;
  private static Thread thread;

  private EventLoop() {}

  /** Starts the loop unless it runs; must precede opening a connection whose events we want. */
  public static synchronized void acquire() throws HypervisorException {
    if (!registered) {
      try {
        Library.initEventLoop();
      } catch (LibvirtException e) {
        throw LibvirtErrors.failure("start libvirt event loop", e);
      }
      registered = true;
    }
    if (holders++ == 0) {
      thread = new Thread(EventLoop::run, "libvirt-events");
      thread.setDaemon(true);
      thread.start();
    }
  }

  /** Stops the loop when the last holder releases it. */
  public static synchronized void release() {
    if (holders == 0 || --holders > 0) {
      return;
    }
    Thread running = thread;
    thread = null;
    try {
      // runEventLoop sets its flag when it begins, so a stop that comes first is lost: repeat it,
      // once per STOP_RETRY, for at most STOP_WAIT in all.
      for (long tries = STOP_WAIT.dividedBy(STOP_RETRY); running.isAlive() && tries > 0; tries--) {
        Library.stopEventLoop();
        running.join(STOP_RETRY.toMillis());
      }
    } catch (LibvirtException e) {
      log.warn("cannot stop libvirt event loop", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (running.isAlive()) {
      log.warn("libvirt event loop still running after stop thread={}", running.getName());
    }
  }

  /**
   * Runs libvirt's loop until {@link #release} stops it. A failure of the loop (or of a callback
   * it ran) is handed to {@link ThreadFailures}, which halts on a VirtualMachineError; after any
   * other, the loop runs again, so that events are not lost for good.
   */
  private static void run() {
    while (isCurrent()) {
      try {
        Library.runEventLoop();
        return;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (LibvirtException | RuntimeException | Error e) {
        ThreadFailures.process().caught("libvirt-events", e);
      }
      try {
        // Not at once: a loop that fails at every turn must not take a core.
        Thread.sleep(RESTART_PAUSE.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private static synchronized boolean isCurrent() {
    return thread == Thread.currentThread();
  }
}
