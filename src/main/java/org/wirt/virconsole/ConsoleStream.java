package org.wirt.virconsole;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.util.Arrays;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

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
 * <p>Threads: one reader calls {@link #read}, one writer calls {@link #write}; {@link #abort} may
 * come from any thread and wakes the reader; {@link #close} is called once, after the reader and
 * the writer returned.
 */
public final class ConsoleStream implements AutoCloseable {
  /** {@code VIR_DOMAIN_CONSOLE_FORCE}: take the console from another libvirt client. */
  private static final int CONSOLE_FORCE = 1;
  /** {@code VIR_DOMAIN_CONSOLE_SAFE}: refuse unless libvirt can tell when others use it. */
  private static final int CONSOLE_SAFE = 2;

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

    int virStreamFree(Pointer stream);

    String virGetLastErrorMessage();
  }

  private static final Api API = Native.load("virt", Api.class);

  private final Pointer connection;
  private final Pointer domain;
  private final Pointer stream;
  private final AtomicBoolean aborted = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();

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
    Pointer connection = API.virConnectOpen(uri);
    if (connection == null) {
      throw failure("connect to " + uri);
    }
    Pointer domain = null;
    Pointer stream = null;
    try {
      domain = API.virDomainLookupByUUIDString(connection, uuid.toString());
      if (domain == null) {
        throw failure("look up domain " + uuid);
      }
      stream = API.virStreamNew(connection, 0);
      if (stream == null) {
        throw failure("make a stream");
      }
      if (API.virDomainOpenConsole(domain, null, stream, CONSOLE_SAFE | (force ? CONSOLE_FORCE : 0))
          < 0) {
        throw failure("open the console");
      }
      return new ConsoleStream(connection, domain, stream);
    } catch (IOException e) {
      if (stream != null) {
        API.virStreamFree(stream);
      }
      if (domain != null) {
        API.virDomainFree(domain);
      }
      API.virConnectClose(connection);
      throw e;
    }
  }

  /**
   * Reads what the guest wrote, blocking until there is some.
   *
   * @return the number of bytes read, or -1 once the console ended
   */
  public int read(byte[] buffer) throws IOException {
    int n = API.virStreamRecv(stream, buffer, buffer.length);
    if (n > 0) {
      return n;
    }
    if (n == 0 || aborted.get()) {
      return -1;
    }
    throw failure("read the console");
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
      if (n < 0) {
        throw failure("write to the console");
      }
      left -= n;
      if (left > 0) {
        rest = Arrays.copyOfRange(rest, n, n + left);
      }
    }
  }

  /** Ends the console; a blocked {@link #read} returns -1. Safe to call more than once. */
  public void abort() {
    if (aborted.compareAndSet(false, true)) {
      // The result is of no use: the stream may already have ended with an error.
      API.virStreamAbort(stream);
    }
  }

  /** Frees the stream, the domain and the connection; call after reader and writer returned. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      abort();
      API.virStreamFree(stream);
      API.virDomainFree(domain);
      API.virConnectClose(connection);
    }
  }

  private static IOException failure(String what) {
    String message = API.virGetLastErrorMessage();
    return new IOException("libvirt: cannot " + what + ": "
        + (message == null ? "unknown error" : message));
  }
}
