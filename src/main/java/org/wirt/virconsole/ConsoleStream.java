package org.wirt.virconsole;

import com.sun.jna.Callback;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.util.Arrays;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.wirt.hypervisor.EventLoop;
import org.wirt.hypervisor.HypervisorException;

/**
 * A domain's serial console as a byte stream: {@code virDomainOpenConsole} on a {@code virStream}
 * of a libvirt connection of its own, so that a console outlives no connection it did not open
 * and a lost libvirtd ends it with an error instead of hanging the daemon's own connection.
 *
 * <p>libvirt-java 0.5.3 has {@code Stream} but no {@code virDomainOpenConsole}, and its {@code
 * Stream} finalizer frees the native stream on the garbage collector's thread, which would race a
 * reader blocked in {@code virStreamRecv}; so the whole stream is bound here. Every call's result
 * is checked and turned into an {@link IOException} with libvirt's message.
 *
 * <p>The stream is non-blocking and driven by libvirt's event loop, as {@code virsh console}'s
 * is: libvirt's event thread reads the socket and says when the stream is readable, and {@link
 * #read} waits for that signal, never inside libvirt. A reader blocked in {@code virStreamRecv}
 * while a writer calls {@code virStreamSend} on the same connection made a keystroke wait, now and
 * then, 5 s for libvirt's client to wake (docs/BENCHMARKS.md, "Console").
 *
 * <p>Threads: one reader calls {@link #read}, one writer calls {@link #write}; {@link #abort} may
 * come from any thread and wakes the reader; {@link #close} is called once, after the reader and
 * the writer returned.
 */
public final class ConsoleStream implements AutoCloseable {
  /** {@code VIR_DOMAIN_CONSOLE_FORCE}: take the console from another libvirt client. */
  private static final int CONSOLE_FORCE = 1;
  /** {@code VIR_DOMAIN_CONSOLE_SAFE}: refuse unless libvirt can tell when others use it. */
  private static final int CONSOLE_SAFE = 2;
  /** {@code VIR_STREAM_NONBLOCK}. */
  private static final int STREAM_NONBLOCK = 1;
  /** {@code VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP}. */
  private static final int READABLE_OR_ENDED = 1 | 4 | 8;
  /** What virStreamRecv and virStreamSend return on a non-blocking stream that would block. */
  private static final int WOULD_BLOCK = -2;
  /** The longest a reader waits for libvirt's signal before it looks again anyway. */
  private static final long WAIT_MILLIS = 1000;
  /** How long a writer whose send would block pauses before it tries again. */
  private static final long SEND_RETRY_MILLIS = 1;

  /** {@code virStreamEventCallback}. */
  interface StreamEvent extends Callback {
    void invoke(Pointer stream, int events, Pointer opaque);
  }

  /** {@code virConnectCloseFunc}: libvirt lost the connection (0 error, 1 EOF, 2 keepalive). */
  interface CloseEvent extends Callback {
    void invoke(Pointer connection, int reason, Pointer opaque);
  }

  interface Api extends Library {
    Pointer virConnectOpen(String name);

    int virConnectClose(Pointer conn);

    Pointer virDomainLookupByUUIDString(Pointer conn, String uuid);

    int virDomainFree(Pointer domain);

    Pointer virStreamNew(Pointer conn, int flags);

    int virDomainOpenConsole(Pointer domain, String device, Pointer stream, int flags);

    int virStreamRecv(Pointer stream, byte[] data, long bytes);

    int virStreamSend(Pointer stream, byte[] data, long bytes);

    int virStreamAbort(Pointer stream);

    int virStreamEventAddCallback(Pointer stream, int events, StreamEvent cb, Pointer opaque,
        Pointer free);

    int virStreamEventRemoveCallback(Pointer stream);

    int virConnectRegisterCloseCallback(Pointer conn, CloseEvent cb, Pointer opaque,
        Pointer free);

    int virConnectUnregisterCloseCallback(Pointer conn, CloseEvent cb);

    int virStreamFree(Pointer stream);

    String virGetLastErrorMessage();
  }

  private static final Api API = Native.load("virt", Api.class);

  private final Pointer connection;
  private final Pointer domain;
  private final Pointer stream;
  private final AtomicBoolean aborted = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Object signal = new Object();
  /** Set by libvirt's event thread when the stream may be read; guarded by {@code signal}. */
  private boolean readable = true;
  /** Held here so that the garbage collector keeps it while libvirt may call it. */
  private final StreamEvent onEvent = (s, events, opaque) -> wake();
  /** Why libvirt closed the connection, once it did; guarded by {@code signal}. */
  private String lost;
  private final CloseEvent onClose = (c, reason, opaque) -> lost(reason);

  private ConsoleStream(Pointer connection, Pointer domain, Pointer stream) {
    this.connection = connection;
    this.domain = domain;
    this.stream = stream;
  }

  /**
   * Opens a new connection to {@code uri} (already checked against the allow-list by the caller)
   * and the first serial console of the domain with this UUID.
   *
   * @param force take the console even if another libvirt client (a {@code virsh console}) holds
   *     it; wirt's own one-session-per-VM rule is kept by the caller
   */
  public static ConsoleStream open(String uri, UUID uuid, boolean force) throws IOException {
    Objects.requireNonNull(uri, "uri");
    Objects.requireNonNull(uuid, "uuid");
    try {
      // Before the connection opens, so that libvirt's client hands its socket to the loop.
      EventLoop.acquire();
    } catch (HypervisorException e) {
      throw new IOException("libvirt: cannot start its event loop: " + e.getMessage(), e);
    }
    Pointer connection = API.virConnectOpen(uri);
    if (connection == null) {
      IOException e = failure("connect to " + uri);
      EventLoop.release();
      throw e;
    }
    Pointer domain = null;
    Pointer stream = null;
    try {
      domain = API.virDomainLookupByUUIDString(connection, uuid.toString());
      if (domain == null) {
        throw failure("look up domain " + uuid);
      }
      stream = API.virStreamNew(connection, STREAM_NONBLOCK);
      if (stream == null) {
        throw failure("make a stream");
      }
      if (API.virDomainOpenConsole(domain, null, stream, CONSOLE_SAFE | (force ? CONSOLE_FORCE : 0))
          < 0) {
        throw failure("open the console");
      }
      ConsoleStream console = new ConsoleStream(connection, domain, stream);
      // A lost libvirtd raises no stream event: the connection's close says so.
      if (API.virConnectRegisterCloseCallback(connection, console.onClose, null, null) < 0
          || API.virStreamEventAddCallback(stream, READABLE_OR_ENDED, console.onEvent, null, null)
          < 0) {
        IOException e = failure("watch the console");
        API.virStreamAbort(stream);
        throw e;
      }
      return console;
    } catch (IOException e) {
      if (stream != null) {
        API.virStreamFree(stream);
      }
      if (domain != null) {
        API.virDomainFree(domain);
      }
      API.virConnectClose(connection);
      EventLoop.release();
      throw e;
    }
  }

  /**
   * Reads what the guest wrote, blocking until there is some.
   *
   * @return the number of bytes read, or -1 once the console ended
   */
  public int read(byte[] buffer) throws IOException {
    while (true) {
      if (aborted.get()) {
        return -1;
      }
      int n = API.virStreamRecv(stream, buffer, buffer.length);
      if (n > 0) {
        return n;
      }
      if (n == 0 || aborted.get()) {
        return -1;
      }
      if (n != WOULD_BLOCK) {
        throw failure("read the console");
      }
      awaitReadable();
      String why = lostReason();
      if (why != null) {
        throw new IOException("libvirt: cannot read the console: " + why);
      }
    }
  }

  /** Waits until libvirt says the stream is readable (or ended), or the session is aborted. */
  private void awaitReadable() throws IOException {
    synchronized (signal) {
      try {
        if (!readable && !aborted.get()) {
          signal.wait(WAIT_MILLIS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while reading the console", e);
      }
      readable = false;
    }
  }

  private String lostReason() {
    synchronized (signal) {
      return lost;
    }
  }

  /** libvirt's event thread: the connection closed. */
  private void lost(int reason) {
    synchronized (signal) {
      lost = switch (reason) {
        case 1 -> "the connection to libvirtd closed (end of file)";
        case 2 -> "libvirtd stopped answering (keepalive)";
        default -> "the connection to libvirtd failed";
      };
      readable = true;
      signal.notifyAll();
    }
  }

  /** libvirt's event thread: the stream can be read, or it ended. */
  private void wake() {
    synchronized (signal) {
      readable = true;
      signal.notifyAll();
    }
  }

  /** Sends every byte of {@code data[0..length)} to the guest. */
  public void write(byte[] data, int length) throws IOException {
    if (length > data.length) {
      throw new IllegalArgumentException("length " + length + " > " + data.length);
    }
    byte[] rest = data;
    int left = length;
    while (left > 0) {
      int n = API.virStreamSend(stream, rest, left);
      if (n == WOULD_BLOCK) {
        if (aborted.get()) {
          throw new IOException("the console ended");
        }
        String why = lostReason();
        if (why != null) {
          throw new IOException("libvirt: cannot write to the console: " + why);
        }
        pause();
        continue;
      }
      if (n < 0) {
        throw failure("write to the console");
      }
      left -= n;
      if (left > 0) {
        rest = Arrays.copyOfRange(rest, n, n + left);
      }
    }
  }

  /** libvirt's outgoing queue is full (a paste): a moment for its event thread to send. */
  private static void pause() throws IOException {
    try {
      Thread.sleep(SEND_RETRY_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while writing to the console", e);
    }
  }

  /** Ends the console; a waiting {@link #read} returns -1. Safe to call more than once. */
  public void abort() {
    if (aborted.compareAndSet(false, true)) {
      // Neither result is of use: the stream may already have ended with an error.
      API.virStreamEventRemoveCallback(stream);
      API.virStreamAbort(stream);
      wake();
    }
  }

  /** Frees the stream, the domain and the connection; call after reader and writer returned. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      abort();
      API.virStreamFree(stream);
      API.virDomainFree(domain);
      API.virConnectUnregisterCloseCallback(connection, onClose);
      API.virConnectClose(connection);
      EventLoop.release();
    }
  }

  private static IOException failure(String what) {
    String message = API.virGetLastErrorMessage();
    return new IOException("libvirt: cannot " + what + ": "
        + (message == null ? "unknown error" : message));
  }
}
