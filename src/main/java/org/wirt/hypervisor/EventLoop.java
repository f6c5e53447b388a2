package org.wirt.hypervisor;

import java.time.Duration;
import org.libvirt.Library;
import org.libvirt.LibvirtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * libvirt's default event loop, which is one per process: it runs on a daemon thread named
 * {@code libvirt-events} while at least one connection holds it.
 */
final class EventLoop {
  private static final Logger log = LoggerFactory.getLogger(EventLoop.class);
  private static final Duration STOP_WAIT = Duration.ofSeconds(5);

  private static int holders;
  private static boolean registered;
  private static Thread thread;

  private EventLoop() {}

  /** Starts the loop unless it runs; must precede opening a connection whose events we want. */
  static synchronized void acquire() throws HypervisorException {
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
  static synchronized void release() {
    if (holders == 0 || --holders > 0) {
      return;
    }
    Thread running = thread;
    thread = null;
    long deadline = System.nanoTime() + STOP_WAIT.toNanos();
    try {
      // runEventLoop sets its flag when it begins, so a stop that comes first is lost: repeat it.
      while (running.isAlive() && System.nanoTime() < deadline) {
        Library.stopEventLoop();
        running.join(50);
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

  private static void run() {
    try {
      Library.runEventLoop();
    } catch (LibvirtException e) {
      log.error("libvirt event loop failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
