package org.wirt.posix;

import com.sun.jna.Memory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A non-blocking inotify instance with a wakeup descriptor, so a thread blocked in {@link #read}
 * can be released by {@link #wakeup()} or {@link #close()} from another thread.
 */
public final class Inotify implements AutoCloseable {
  public static final int IN_ATTRIB = 0x4, IN_CLOSE_WRITE = 0x8, IN_MOVED_FROM = 0x40, IN_MOVED_TO = 0x80,
      IN_CREATE = 0x100, IN_DELETE = 0x200, IN_DELETE_SELF = 0x400, IN_MOVE_SELF = 0x800,
      IN_UNMOUNT = 0x2000, IN_Q_OVERFLOW = 0x4000, IN_IGNORED = 0x8000, IN_ONLYDIR = 0x1000000,
      IN_DONT_FOLLOW = 0x2000000, IN_EXCL_UNLINK = 0x4000000, IN_ISDIR = 0x40000000;

  private static final Logger LOG = LoggerFactory.getLogger(Inotify.class);
  private static final int IN_NONBLOCK = Fd.O_NONBLOCK, IN_CLOEXEC = Fd.O_CLOEXEC;
  private static final int POLLIN = 1;

  private final int fd;
  private final int wakeFd;
  /** Native buffers for read(2): used under {@code readLock} only. */
  private final Memory eventBuffer = new Memory(65536);
  private final Memory wakeBuffer = new Memory(8);
  private final Object readLock = new Object();
  private volatile boolean closed;

  private Inotify(int fd, int wakeFd) {
    this.fd = fd;
    this.wakeFd = wakeFd;
  }

  /** Opens a new inotify instance ({@code IN_CLOEXEC | IN_NONBLOCK}) and its wakeup eventfd. */
  public static Inotify open() throws IOException {
    int fd = Libc.inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (fd < 0) {
      throw Errno.fail("inotify_init1", "");
    }
    int wake = Libc.eventfd(0, IN_CLOEXEC | IN_NONBLOCK);
    if (wake < 0) {
      ErrnoException e = Errno.fail("eventfd", "");
      Libc.close(fd);
      throw e;
    }
    return new Inotify(fd, wake);
  }

  /**
   * Adds a watch on {@code path} and returns its watch descriptor.
   *
   * @throws WatchLimitException when the user's watch limit ({@code max_user_watches}) is reached
   */
  public int addWatch(String path, int mask) throws IOException {
    int wd = Libc.inotify_add_watch(fd, Fd.cstring(path.getBytes(StandardCharsets.UTF_8)), mask);
    if (wd < 0) {
      int errno = Libc.errno();
      if (errno == ErrnoException.ENOSPC) {
        throw new WatchLimitException("inotify_add_watch " + path + ": ENOSPC: the inotify watch limit"
            + " is reached; raise fs.inotify.max_user_watches");
      }
      throw new ErrnoException("inotify_add_watch", path, errno);
    }
    return wd;
  }

  /** Removes a watch; a watch the kernel already dropped (deleted directory) is ignored. */
  public void removeWatch(int wd) {
    if (Libc.inotify_rm_watch(fd, wd) != 0) {
      LOG.debug("inotify_rm_watch wd={} errno={}", wd, Errno.name(Libc.errno()));
    }
  }

  /**
   * Waits up to {@code timeout} for events and returns them; an empty list on timeout, on
   * {@link #wakeup()} or once closed.
   */
  public List<InotifyEvent> read(Duration timeout) throws IOException {
    synchronized (readLock) {
      if (closed) {
        return List.of();
      }
      byte[] fds = new byte[16];
      ByteBuffer p = ByteBuffer.wrap(fds).order(ByteOrder.nativeOrder());
      p.putInt(0, fd).putShort(4, (short) POLLIN).putInt(8, wakeFd).putShort(12, (short) POLLIN);
      long millis = Math.min(Integer.MAX_VALUE, Math.max(0, timeout.toMillis()));
      int n = Libc.poll(fds, 2, (int) millis);
      if (n < 0) {
        if (Libc.errno() == ErrnoException.EINTR) {
          return List.of();
        }
        throw Errno.fail("poll", "inotify");
      }
      if (p.getShort(14) != 0) {
        Libc.read(wakeFd, wakeBuffer, 8);
      }
      if (p.getShort(6) == 0) {
        return List.of();
      }
      return drain();
    }
  }

  private List<InotifyEvent> drain() throws IOException {
    List<InotifyEvent> events = new ArrayList<>();
    while (true) {
      long n = Libc.read(fd, eventBuffer, eventBuffer.size());
      if (n < 0) {
        int errno = Libc.errno();
        if (errno == ErrnoException.EAGAIN || errno == ErrnoException.EINTR) {
          return events;
        }
        throw new ErrnoException("read", "inotify", errno);
      }
      // Copied from native memory as far as the kernel wrote: a Java array would be copied whole.
      byte[] buf = eventBuffer.getByteArray(0, (int) n);
      ByteBuffer b = ByteBuffer.wrap(buf, 0, (int) n).order(ByteOrder.nativeOrder());
      int pos = 0;
      while (pos + 16 <= n) {
        int len = b.getInt(pos + 12);
        int end = pos + 16;
        while (end < pos + 16 + len && buf[end] != 0) {
          end++;
        }
        events.add(new InotifyEvent(b.getInt(pos), b.getInt(pos + 4), b.getInt(pos + 8),
            Arrays.copyOfRange(buf, pos + 16, end)));
        pos += 16 + len;
      }
    }
  }

  /** Makes a {@link #read} in progress (or the next one) return at once. */
  public void wakeup() {
    byte[] one = new byte[8];
    ByteBuffer.wrap(one).order(ByteOrder.nativeOrder()).putLong(0, 1);
    Libc.write(wakeFd, one, 8);
  }

  /** Releases a blocked reader, then closes both descriptors. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    wakeup();
    synchronized (readLock) {
      Libc.close(fd);
      Libc.close(wakeFd);
    }
  }
}
