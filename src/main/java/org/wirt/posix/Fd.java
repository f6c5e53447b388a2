package org.wirt.posix;

import com.sun.jna.Memory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An open file descriptor and the {@code *at} calls relative to it. Names passed to the
 * {@code *At} methods are single raw path components (no NUL); they are resolved relative to this
 * descriptor, so no path is ever re-resolved from the root.
 *
 * <p>Not thread-safe; close it exactly once (try-with-resources).
 */
public final class Fd implements AutoCloseable {
  public static final int O_RDONLY = 0, O_WRONLY = 01, O_RDWR = 02, O_CREAT = 0100, O_EXCL = 0200,
      O_NOCTTY = 0400, O_TRUNC = 01000, O_APPEND = 02000, O_NONBLOCK = 04000, O_CLOEXEC = 02000000;
  public static final int O_DIRECTORY = Arch.CURRENT.oDirectory;
  public static final int O_NOFOLLOW = Arch.CURRENT.oNofollow;
  public static final int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100, AT_REMOVEDIR = 0x200,
      AT_EMPTY_PATH = 0x1000;
  public static final int RENAME_NOREPLACE = 1;

  private static final int STATX_BASIC_STATS = 0x7ff;
  private static final byte[] EMPTY = {0};

  private final int fd;
  private final String what;
  private boolean closed;

  private Fd(int fd, String what) {
    this.fd = fd;
    this.what = what;
  }

  /**
   * Opens {@code path} (absolute, following links as the kernel does) — only for paths that come
   * from the administrator or NSS, such as a home directory.
   */
  public static Fd open(String path, int flags, int mode) throws IOException {
    int fd = Libc.openat(AT_FDCWD, cstring(path.getBytes(java.nio.charset.StandardCharsets.UTF_8)), flags, mode);
    if (fd < 0) {
      throw Errno.fail("open", path);
    }
    return new Fd(fd, path);
  }

  /** Opens the single component {@code name} relative to this directory. */
  public Fd openAt(byte[] name, int flags, int mode, String what) throws IOException {
    int child = Libc.openat(fd(), component(name), flags, mode);
    if (child < 0) {
      throw Errno.fail("open", what);
    }
    return new Fd(child, what);
  }

  /** The descriptor number, e.g. for {@code /proc/self/fd/N}. */
  public int number() {
    return fd();
  }

  /** What this descriptor is, for messages. */
  public String what() {
    return what;
  }

  /** {@code statx} of the open descriptor itself ({@code AT_EMPTY_PATH}): the facts to decide on. */
  public Stat stat() throws IOException {
    byte[] buf = new byte[256];
    if (Libc.statx(fd(), EMPTY, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, buf) != 0) {
      throw Errno.fail("statx", what);
    }
    return parseStatx(buf);
  }

  /** {@code statx(AT_SYMLINK_NOFOLLOW)} of {@code name} in this directory: a link is described, not followed. */
  public Stat statAt(byte[] name, String what) throws IOException {
    byte[] buf = new byte[256];
    if (Libc.statx(fd(), component(name), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, buf) != 0) {
      throw Errno.fail("statx", what);
    }
    return parseStatx(buf);
  }

  /** Reads up to {@code len} bytes; returns 0 at end of file. */
  public int read(byte[] buf, int off, int len) throws IOException {
    Memory mem = BUFFER.get();
    long n;
    do {
      n = Libc.read(fd(), mem, Math.min(len, mem.size()));
    } while (n < 0 && Libc.errno() == ErrnoException.EINTR);
    if (n < 0) {
      throw Errno.fail("read", what);
    }
    mem.read(0, buf, off, (int) n);
    return (int) n;
  }

  /**
   * Each thread's buffer for read and getdents64. A Java array passed to native code is copied in
   * and out whole (32 KiB each way for every directory listed, which was most of a sweep's
   * time); from native memory only what the kernel wrote is copied.
   */
  private static final ThreadLocal<Memory> BUFFER = ThreadLocal.withInitial(() -> new Memory(32768));

  /** One {@code write} call; returns how many bytes the kernel took (possibly fewer than asked). */
  public int write(byte[] buf, int off, int len) throws IOException {
    byte[] tmp = off == 0 && len == buf.length ? buf : Arrays.copyOfRange(buf, off, off + len);
    long n = Libc.write(fd(), tmp, len);
    if (n < 0) {
      throw Errno.fail("write", what);
    }
    return (int) n;
  }

  /** Writes all of {@code buf}, retrying short writes. */
  public void writeAll(byte[] buf) throws IOException {
    int off = 0;
    while (off < buf.length) {
      off += write(buf, off, buf.length - off);
    }
  }

  /**
   * Copies from {@code source}'s current offset to its end, but at most {@code limit} bytes, onto
   * this file's offset, in the kernel ({@code sendfile}); returns the number of bytes copied. The
   * source is the open descriptor itself: a path renamed or replaced meanwhile does not change
   * what is read, and a file that keeps growing is not followed past {@code limit}.
   */
  public long copyFrom(Fd source, long limit) throws IOException {
    long total = 0;
    while (total < limit) {
      long n = Libc.sendfile(fd(), source.fd(), null, Math.min(limit - total, 1L << 30));
      if (n < 0) {
        if (Libc.errno() == ErrnoException.EINTR) {
          continue;
        }
        throw Errno.fail("sendfile", source.what + " to " + what);
      }
      if (n == 0) {
        return total;
      }
      total += n;
    }
    return total;
  }

  public void truncate(long size) throws IOException {
    if (Libc.ftruncate(fd(), size) != 0) {
      throw Errno.fail("ftruncate", what);
    }
  }

  public void chmod(int mode) throws IOException {
    if (Libc.fchmod(fd(), mode) != 0) {
      throw Errno.fail("fchmod", what);
    }
  }

  public void fsync() throws IOException {
    if (Libc.fsync(fd()) != 0) {
      throw Errno.fail("fsync", what);
    }
  }

  /**
   * Sets the modification and access times of {@code name} in this directory to now
   * ({@code utimensat(AT_SYMLINK_NOFOLLOW)}): a link is touched itself, never its target.
   */
  public void touchAt(byte[] name, String what) throws IOException {
    if (Libc.utimensat(fd(), component(name), null, AT_SYMLINK_NOFOLLOW) != 0) {
      throw Errno.fail("utimensat", what);
    }
  }

  public void mkdirAt(byte[] name, int mode, String what) throws IOException {
    if (Libc.mkdirat(fd(), component(name), mode) != 0) {
      throw Errno.fail("mkdir", what);
    }
  }

  /** {@code unlinkat}; {@code flags} is 0 or {@link #AT_REMOVEDIR}. Never follows a link. */
  public void unlinkAt(byte[] name, int flags, String what) throws IOException {
    if (Libc.unlinkat(fd(), component(name), flags) != 0) {
      throw Errno.fail("unlink", what);
    }
  }

  /**
   * Renames {@code name} in this directory to {@code newName} in {@code toDir}; the entry itself
   * moves (a link is moved, not followed). {@code flags} is 0 or {@link #RENAME_NOREPLACE}.
   */
  public void renameAt(byte[] name, Fd toDir, byte[] newName, int flags, String what) throws IOException {
    int rc = flags == 0
        ? Libc.renameat(fd(), component(name), toDir.fd(), component(newName))
        : Libc.renameat2(fd(), component(name), toDir.fd(), component(newName), flags);
    if (rc != 0) {
      throw Errno.fail("rename", what);
    }
  }

  /** The names in this directory, except {@code .} and {@code ..}, as raw bytes. */
  public List<byte[]> list() throws IOException {
    List<byte[]> names = new ArrayList<>();
    forEachName(name -> {
      names.add(name);
      return true;
    });
    return names;
  }

  /** Receives the names of a directory one at a time; returns false to stop early. */
  @FunctionalInterface
  public interface NameVisitor {
    boolean visit(byte[] name) throws IOException;
  }

  /**
   * Streams this directory's names (without "." and "..") to {@code visitor}, so that a directory
   * of any size is read in constant memory.
   */
  public void forEachName(NameVisitor visitor) throws IOException {
    if (Libc.lseek(fd(), 0, 0) < 0) {
      throw Errno.fail("lseek", what);
    }
    Memory mem = BUFFER.get();
    while (true) {
      long n = Libc.getdents64(fd(), mem, mem.size());
      if (n < 0) {
        throw Errno.fail("getdents64", what);
      }
      if (n == 0) {
        return;
      }
      byte[] buf = new byte[(int) n];
      mem.read(0, buf, 0, (int) n);
      ByteBuffer b = ByteBuffer.wrap(buf, 0, (int) n).order(ByteOrder.nativeOrder());
      int pos = 0;
      while (pos < n) {
        int reclen = Short.toUnsignedInt(b.getShort(pos + 16));
        int start = pos + 19;
        int end = start;
        while (end < pos + reclen && buf[end] != 0) {
          end++;
        }
        byte[] name = Arrays.copyOfRange(buf, start, end);
        if (!isDotOrDotDot(name) && !visitor.visit(name)) {
          return;
        }
        pos += reclen;
      }
    }
  }

  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    // Never retry close on EINTR: on Linux the descriptor is released either way.
    if (Libc.close(fd) != 0 && Libc.errno() != ErrnoException.EINTR) {
      throw Errno.fail("close", what);
    }
  }

  private int fd() {
    if (closed) {
      throw new IllegalStateException("descriptor of " + what + " is closed");
    }
    return fd;
  }

  static boolean isDotOrDotDot(byte[] name) {
    return (name.length == 1 && name[0] == '.') || (name.length == 2 && name[0] == '.' && name[1] == '.');
  }

  /** A single path component, NUL-terminated; '/' and NUL are refused so nothing can walk further. */
  static byte[] component(byte[] name) {
    if (name.length == 0) {
      throw new IllegalArgumentException("empty file name");
    }
    for (byte b : name) {
      if (b == 0 || b == '/') {
        throw new IllegalArgumentException("file name contains NUL or '/'");
      }
    }
    return cstring(name);
  }

  static byte[] cstring(byte[] bytes) {
    return Arrays.copyOf(bytes, bytes.length + 1);
  }

  private static Stat parseStatx(byte[] buf) {
    ByteBuffer b = ByteBuffer.wrap(buf).order(ByteOrder.nativeOrder());
    long nlink = Integer.toUnsignedLong(b.getInt(16));
    int uid = b.getInt(20);
    int gid = b.getInt(24);
    int mode = Short.toUnsignedInt(b.getShort(28));
    long ino = b.getLong(32);
    long size = b.getLong(40);
    long blocks = b.getLong(48);
    long mtime = b.getLong(112) * 1_000_000_000L + Integer.toUnsignedLong(b.getInt(120));
    long dev = (Integer.toUnsignedLong(b.getInt(136)) << 32) | Integer.toUnsignedLong(b.getInt(140));
    return new Stat(dev, ino, mode, uid, gid, nlink, size, mtime, blocks);
  }
}
