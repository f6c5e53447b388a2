package org.wirt.tree;

import static org.wirt.posix.Fd.O_CLOEXEC;
import static org.wirt.posix.Fd.O_CREAT;
import static org.wirt.posix.Fd.O_DIRECTORY;
import static org.wirt.posix.Fd.O_EXCL;
import static org.wirt.posix.Fd.O_NOFOLLOW;
import static org.wirt.posix.Fd.O_RDONLY;
import static org.wirt.posix.Fd.O_WRONLY;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.NoSuchFileException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.zip.GZIPOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.posix.ErrnoException;
import org.wirt.posix.Fd;
import org.wirt.posix.Stat;

/**
 * The descriptor-relative operations every HomeTree method is built from: walking directories
 * without following links, creating or repairing them, and writing through a temporary file.
 * Callers must already run with the user's filesystem identity.
 */
final class TreeIo {
  private static final Logger LOG = LoggerFactory.getLogger(TreeIo.class);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int DIR_FLAGS = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

  private TreeIo() {}

  /** Opens the directory {@code name} in {@code parent}; a link or non-directory there is an error. */
  static Fd openDir(Fd parent, String name, String where) throws IOException {
    try {
      return parent.openAt(TreeNames.bytes(name), DIR_FLAGS, 0, where);
    } catch (ErrnoException e) {
      throw explain(parent, TreeNames.bytes(name), where, e, "directory");
    }
  }

  /**
   * Opens {@code parts} below {@code root}, one component at a time, each with O_NOFOLLOW, so a
   * link planted anywhere on the way stops the walk; with {@code create}, missing directories are
   * made (0700, owned by the caller's fsuid).
   */
  static Fd walk(Fd root, List<String> parts, String rootWhere, boolean create) throws IOException {
    Fd current = root;
    String where = rootWhere;
    try {
      for (String part : parts) {
        where = where + "/" + part;
        Fd next;
        try {
          next = openDir(current, part, where);
        } catch (NoSuchFileException e) {
          if (!create) {
            throw e;
          }
          mkdir(current, part, where);
          next = openDir(current, part, where);
        }
        closeUnlessRoot(current, root);
        current = next;
      }
      return current == root ? reopen(root) : current;
    } catch (IOException | RuntimeException e) {
      if (current != root) {
        closeQuietly(current, e);
      }
      throw e;
    }
  }

  /**
   * Opens the directory {@code name}, creating it if missing; anything else found there (a link, a
   * file, a FIFO) is unlinked, never followed, and replaced by a directory.
   */
  static Fd ensureDir(Fd parent, String name, String where, String user) throws IOException {
    ensureLeaf(parent, name, where, user);
    return openDir(parent, name, where);
  }

  /**
   * As {@link #ensureDir} for a directory wirtd does not go into now: one statx when it is there
   * already, instead of a statx, an open and a close.
   */
  static void ensureLeaf(Fd parent, String name, String where, String user) throws IOException {
    byte[] raw = TreeNames.bytes(name);
    Stat st = statOrNull(parent, raw, where);
    if (st != null && !st.isDirectory()) {
      parent.unlinkAt(raw, 0, where);
      LOG.warn("replaced non-directory user={} path={} type={}", user, where, typePhrase(st));
      st = null;
    }
    if (st == null) {
      mkdir(parent, name, where);
    }
  }

  /**
   * Writes {@code content} to a fresh temporary file (O_CREAT|O_EXCL|O_NOFOLLOW, 0600) and renames
   * it onto {@code name}: whatever was planted at {@code name} is replaced, never written through,
   * and no reader sees half a file. The temporary file never survives a failure.
   */
  static void replaceFile(Fd dir, byte[] name, byte[] content, String where) throws IOException {
    replaceFile(dir, name, where, f -> f.writeAll(content));
  }

  /** Writes a file's content to the open temporary file. */
  @FunctionalInterface
  interface Content {
    void writeTo(Fd file) throws IOException;
  }

  /**
   * As {@link #replaceFile(Fd, byte[], byte[], String)}, with the content streamed into the
   * temporary file by {@code content}, so that it never needs to be in memory at once.
   */
  static void replaceFile(Fd dir, byte[] name, String where, Content content) throws IOException {
    byte[] tmp = TreeNames.bytes(".wirt-" + HexFormat.of().formatHex(randomBytes()) + ".tmp");
    try {
      try (Fd f = dir.openAt(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600, where + " (temporary)")) {
        content.writeTo(f);
      }
      dir.renameAt(tmp, dir, name, 0, where);
    } catch (IOException | RuntimeException e) {
      try {
        dir.unlinkAt(tmp, 0, where + " (temporary)");
      } catch (ErrnoException cleanup) {
        if (cleanup.errno() != ErrnoException.ENOENT) {
          e.addSuppressed(cleanup);
        }
      }
      throw e;
    }
  }

  /**
   * Gzips the first {@code length} bytes of {@code in} into {@code out}, 64 KiB at a time: memory
   * stays the same whatever the length, and nothing past {@code length} is read, however much the
   * file grows meanwhile.
   */
  static void gzip(Fd in, long length, Fd out) throws IOException {
    byte[] buf = new byte[65536];
    try (GZIPOutputStream gz = new GZIPOutputStream(new FdOutputStream(out), buf.length)) {
      long left = length;
      while (left > 0) {
        int n = in.read(buf, 0, (int) Math.min(buf.length, left));
        if (n == 0) {
          break;
        }
        gz.write(buf, 0, n);
        left -= n;
      }
    }
  }

  /** Writes to a descriptor it does not own: closing the stream leaves the descriptor open. */
  private static final class FdOutputStream extends OutputStream {
    private final Fd fd;

    FdOutputStream(Fd fd) {
      this.fd = Objects.requireNonNull(fd, "fd");
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      int done = 0;
      while (done < len) {
        done += fd.write(b, off + done, len - done);
      }
    }
  }

  /** statx without following; null if there is no such entry. */
  static Stat statOrNull(Fd dir, byte[] name, String where) throws IOException {
    try {
      return dir.statAt(name, where);
    } catch (ErrnoException e) {
      if (e.errno() == ErrnoException.ENOENT) {
        return null;
      }
      throw e;
    }
  }

  /** Turns a failed open of {@code name} into a message that says what is there instead. */
  static IOException explain(Fd parent, byte[] name, String where, ErrnoException e, String wanted) {
    boolean dir = wanted.equals("directory");
    if (e.errno() == ErrnoException.ENOENT) {
      return missing(where, e);
    }
    if (e.errno() == ErrnoException.ELOOP || e.errno() == ErrnoException.ENOTDIR || e.errno() == ErrnoException.ENXIO) {
      try {
        Stat st = parent.statAt(name, where);
        if (st.isSymlink()) {
          String message = where + " is a symbolic link; wirt never follows links in a home and needs a "
              + wanted + " there";
          return dir ? new NotADirectoryException(message, e) : new IOException(message, e);
        }
        String message = where + " is " + typePhrase(st) + ", not a " + wanted;
        return dir ? new NotADirectoryException(message, e) : new IOException(message, e);
      } catch (IOException ignored) {
        return e;
      }
    }
    return e;
  }

  static EntryType entryType(Stat st) {
    return switch (st.type()) {
      case Stat.S_IFREG -> EntryType.REGULAR;
      case Stat.S_IFDIR -> EntryType.DIRECTORY;
      case Stat.S_IFLNK -> EntryType.SYMLINK;
      case Stat.S_IFIFO -> EntryType.FIFO;
      case Stat.S_IFSOCK -> EntryType.SOCKET;
      case Stat.S_IFCHR -> EntryType.CHAR_DEVICE;
      case Stat.S_IFBLK -> EntryType.BLOCK_DEVICE;
      default -> EntryType.UNKNOWN;
    };
  }

  static String typePhrase(Stat st) {
    return typePhrase(entryType(st));
  }

  static String typePhrase(EntryType type) {
    return type.phrase();
  }

  /** The entry {@code name} as {@code st} describes it. */
  static Entry entry(EntryName name, Stat st) {
    return new Entry(name, entryType(st), st.mtimeNanos(), st.size());
  }

  /** A {@link NoSuchFileException} for {@code where}, caused by {@code cause}. */
  static NoSuchFileException missing(String where, Throwable cause) {
    NoSuchFileException missing = new NoSuchFileException(where);
    missing.initCause(cause);
    return missing;
  }

  static FileFacts facts(Stat st) {
    return new FileFacts(st.dev(), st.ino(), entryType(st), st.uid(), st.nlink(), st.size(), st.mtimeNanos());
  }

  static void closeQuietly(Fd fd, Throwable primary) {
    try {
      fd.close();
    } catch (IOException e) {
      primary.addSuppressed(e);
    }
  }

  private static void mkdir(Fd parent, String name, String where) throws IOException {
    try {
      parent.mkdirAt(TreeNames.bytes(name), 0700, where);
    } catch (ErrnoException e) {
      if (e.errno() != ErrnoException.EEXIST) {
        throw e;
      }
    }
  }

  private static Fd reopen(Fd dir) throws IOException {
    return dir.openAt(TreeNames.bytes("."), DIR_FLAGS, 0, dir.what());
  }

  private static void closeUnlessRoot(Fd fd, Fd root) throws IOException {
    if (fd != root) {
      fd.close();
    }
  }

  private static byte[] randomBytes() {
    byte[] b = new byte[8];
    RANDOM.nextBytes(b);
    return b;
  }
}
