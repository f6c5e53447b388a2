package org.wirt.posix;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** The systemd side of sd_notify, for tests: a datagram socket that receives the messages. */
public final class NotifyReceiver implements AutoCloseable {
  private static final int POLLIN = 1;
  private final int fd;
  private final Path path;

  private NotifyReceiver(int fd, Path path) {
    this.fd = fd;
    this.path = path;
  }

  /** Binds a datagram socket at {@code path}. */
  public static NotifyReceiver bind(Path path) throws IOException {
    int fd = Libc.socket(SystemdNotify.AF_UNIX, SystemdNotify.SOCK_DGRAM | SystemdNotify.SOCK_CLOEXEC, 0);
    if (fd < 0) {
      throw new IOException("socket: " + Errno.describe(Libc.errno()));
    }
    byte[] addr = SystemdNotify.address(path.toString());
    if (Libc.bind(fd, addr, addr.length) != 0) {
      int errno = Libc.errno();
      Libc.close(fd);
      throw new IOException("bind " + path + ": " + Errno.describe(errno));
    }
    return new NotifyReceiver(fd, path);
  }

  public Path path() {
    return path;
  }

  /** The next message, or empty if none came within {@code millis}. */
  public Optional<String> receive(int millis) throws IOException {
    byte[] fds = new byte[8];
    ByteBuffer.wrap(fds).order(ByteOrder.nativeOrder()).putInt(0, fd).putShort(4, (short) POLLIN);
    int n = Libc.poll(fds, 1, millis);
    if (n < 0) {
      throw new IOException("poll: " + Errno.describe(Libc.errno()));
    }
    if (n == 0) {
      return Optional.empty();
    }
    byte[] buf = new byte[4096];
    long got = Libc.recv(fd, buf, buf.length, 0);
    if (got < 0) {
      throw new IOException("recv: " + Errno.describe(Libc.errno()));
    }
    return Optional.of(new String(buf, 0, (int) got, StandardCharsets.UTF_8));
  }

  @Override
  public void close() throws IOException {
    Libc.close(fd);
    Files.deleteIfExists(path);
  }
}
