package org.wirt.posix;

import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * sd_notify(3) without libsystemd: one datagram to {@code $NOTIFY_SOCKET}, so systemd's {@code
 * Type=notify} unit knows when wirtd serves ({@code READY=1}) and when it stops ({@code
 * STOPPING=1}). Without {@code $NOTIFY_SOCKET} (not started by systemd) nothing is sent.
 */
public final class SystemdNotify {
  private static final Logger log = LoggerFactory.getLogger(SystemdNotify.class);
  static final int AF_UNIX = 1;
  static final int SOCK_DGRAM = 2;
  static final int SOCK_CLOEXEC = 0x80000;
  private static final int SUN_PATH = 108;
  private static final int MSG_NOSIGNAL = 0x4000;

  private SystemdNotify() {}

  /** Tells systemd wirtd is ready, with a status line for {@code systemctl status}. */
  public static void ready(String status) {
    notify("READY=1\nSTATUS=" + status.replace('\n', ' '));
  }

  /** Tells systemd wirtd is stopping. */
  public static void stopping() {
    notify("STOPPING=1");
  }

  private static void notify(String message) {
    String socket = System.getenv("NOTIFY_SOCKET");
    if (socket == null || socket.isEmpty()) {
      return;
    }
    try {
      send(socket, message);
    } catch (ErrnoException | IllegalArgumentException e) {
      log.warn("cannot notify systemd at NOTIFY_SOCKET={}", socket, e);
    }
  }

  /** Sends one datagram to a Unix socket path ({@code @name}: the abstract namespace). */
  static void send(String socket, String message) throws ErrnoException {
    byte[] addr = address(socket);
    int fd = Libc.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      throw new ErrnoException("socket", socket, Libc.errno());
    }
    try {
      byte[] data = message.getBytes(StandardCharsets.UTF_8);
      long sent = Libc.sendto(fd, data, data.length, MSG_NOSIGNAL, addr, addr.length);
      if (sent < 0) {
        throw new ErrnoException("sendto", socket, Libc.errno());
      }
    } finally {
      Libc.close(fd);
    }
  }

  /** A {@code struct sockaddr_un} for the path, its length exactly what the kernel needs. */
  static byte[] address(String socket) {
    byte[] path = socket.getBytes(StandardCharsets.UTF_8);
    boolean abstractName = socket.startsWith("@");
    if (path.length >= SUN_PATH || path.length == 0 || (!abstractName && socket.charAt(0) != '/')) {
      throw new IllegalArgumentException("not a Unix socket address: " + socket);
    }
    byte[] addr = new byte[2 + path.length + (abstractName ? 0 : 1)];
    addr[0] = (byte) AF_UNIX; // sa_family_t, little-endian on every architecture wirt runs on
    System.arraycopy(path, 0, addr, 2, path.length);
    if (abstractName) {
      addr[2] = 0;
    }
    return addr;
  }
}
