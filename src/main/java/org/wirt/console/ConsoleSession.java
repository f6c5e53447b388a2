package org.wirt.console;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.wirt.threads.ThreadFailures;
import org.wirt.tree.Identity;
import org.wirt.virconsole.ConsoleStream;

/**
 * One open console: two platform threads copy bytes, guest to client and client to guest, each
 * with a 4 KiB buffer and blocking writes, so a client that stops reading stops the guest's side
 * (backpressure) instead of filling wirtd's memory.
 *
 * <p>It ends once, for the first reason: the client detached, the guest's console closed,
 * libvirt was lost, a limit, a takeover or wirtd stopping. The client is told why in a last line,
 * then the stream, domain and connection are freed once neither thread uses them.
 */
final class ConsoleSession {
  private static final int BUFFER = 4096;
  /** A session asked to end whose client does not read its last line is cut off after this. */
  private static final Duration LINGER = Duration.ofSeconds(5);

  private final Identity user;
  private final String vm;
  private final ConsoleServer.Target target;
  private final ConsoleStream stream;
  private final SocketChannel client;
  private final Clock clock;
  private final Consumer<ConsoleSession> onEnd;
  private final Instant since;
  private volatile Instant lastActivity;
  private volatile Instant endedAt;
  private volatile String reason = "";
  private final AtomicBoolean ended = new AtomicBoolean();
  private final AtomicInteger running = new AtomicInteger(2);
  private final CountDownLatch finished = new CountDownLatch(1);
  private final AtomicLong bytesIn = new AtomicLong();
  private final AtomicLong bytesOut = new AtomicLong();

  ConsoleSession(Identity user, String vm, ConsoleServer.Target target, ConsoleStream stream,
      SocketChannel client, Clock clock, Consumer<ConsoleSession> onEnd) {
    this.user = Objects.requireNonNull(user, "user");
    this.vm = Objects.requireNonNull(vm, "vm");
    this.target = Objects.requireNonNull(target, "target");
    this.stream = Objects.requireNonNull(stream, "stream");
    this.client = Objects.requireNonNull(client, "client");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.onEnd = Objects.requireNonNull(onEnd, "onEnd");
    this.since = clock.instant();
    this.lastActivity = since;
  }

  Identity user() {
    return user;
  }

  String vm() {
    return vm;
  }

  ConsoleServer.Target target() {
    return target;
  }

  Instant since() {
    return since;
  }

  String reason() {
    return reason;
  }

  long bytesIn() {
    return bytesIn.get();
  }

  long bytesOut() {
    return bytesOut.get();
  }

  /** Tells the client it is connected and starts relaying. */
  void start(String greeting) {
    try {
      Wire.write(client, Wire.OK + greeting + "\n");
    } catch (IOException e) {
      end("the client left before the console opened");
    }
    thread("wirt-console-out-" + vm, this::guestToClient).start();
    thread("wirt-console-in-" + vm, this::clientToGuest).start();
  }

  private void guestToClient() {
    byte[] buffer = new byte[BUFFER];
    try {
      for (int n; (n = stream.read(buffer)) > 0; ) {
        lastActivity = clock.instant();
        ByteBuffer b = ByteBuffer.wrap(buffer, 0, n);
        while (b.hasRemaining()) {
          client.write(b);
        }
        bytesOut.addAndGet(n);
      }
      end("the VM's console closed (did the VM stop?)");
    } catch (IOException e) {
      end(ended.get() ? reason : e.getMessage() != null && e.getMessage().startsWith("libvirt")
          ? e.getMessage() + "; run `wirt console " + vm + "` again once libvirtd is back"
          : "the client left");
    } finally {
      if (!reason.equals("you detached") && !reason.equals("the client left")) {
        try {
          Wire.write(client, "\r\n[wirt: console of " + vm + " closed: " + reason + "]\r\n");
        } catch (IOException e) {
          // the client is gone; the reason is in the audit log
        }
      }
      close();
      done();
    }
  }

  private void clientToGuest() {
    ByteBuffer b = ByteBuffer.allocate(BUFFER);
    try {
      while (true) {
        b.clear();
        int n = client.read(b);
        if (n < 0) {
          end("you detached");
          break;
        }
        lastActivity = clock.instant();
        stream.write(b.array(), n);
        bytesIn.addAndGet(n);
      }
    } catch (IOException e) {
      end(e.getMessage() != null && e.getMessage().startsWith("libvirt") ? e.getMessage()
          : "the client left");
    } finally {
      done();
    }
  }

  /** Ends the session for {@code why}, once; the threads wind down on their own. */
  void end(String why) {
    if (ended.compareAndSet(false, true)) {
      reason = why;
      endedAt = clock.instant();
      stream.abort();
      try {
        client.shutdownInput();
      } catch (IOException e) {
        close();
      }
    }
  }

  /** Ends the session if it was idle or open too long; cuts off a client that does not read. */
  void enforce(Duration idle, Duration total) {
    Instant now = clock.instant();
    if (ended.get()) {
      if (endedAt != null && now.isAfter(endedAt.plus(LINGER))) {
        close();
      }
      return;
    }
    if (now.isAfter(lastActivity.plus(idle))) {
      end("idle for " + idle.toMinutes() + " minutes (console.idleMinutes)");
    } else if (now.isAfter(since.plus(total))) {
      end("open for " + total.toMinutes() + " minutes, the longest allowed (console.maxMinutes)");
    }
  }

  /** Waits until both threads are done, cutting the client off if it does not read. */
  void awaitEnd() {
    try {
      if (!finished.await(LINGER.toMillis(), TimeUnit.MILLISECONDS)) {
        close();
        finished.await(LINGER.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void close() {
    try {
      client.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  private void done() {
    if (running.decrementAndGet() == 0) {
      stream.close();
      finished.countDown();
      onEnd.accept(this);
    }
  }

  private static Thread thread(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    t.setUncaughtExceptionHandler(ThreadFailures.process().uncaught());
    return t;
  }
}
