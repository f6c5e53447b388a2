package org.wirt.tree;

import static org.wirt.posix.Fd.O_CLOEXEC;
import static org.wirt.posix.Fd.O_DIRECTORY;
import static org.wirt.posix.Fd.O_NOCTTY;
import static org.wirt.posix.Fd.O_NOFOLLOW;
import static org.wirt.posix.Fd.O_NONBLOCK;
import static org.wirt.posix.Fd.O_RDONLY;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.wirt.posix.ErrnoException;
import org.wirt.posix.Fd;
import org.wirt.posix.Stat;

/**
 * Files and directories only root can change: the configuration wirtctl reads under sudo, the
 * images pool it writes into, a socket or key a {@code libvirtUri} names (SPEC 8).
 *
 * <p>The path is walked from {@code /} one component at a time with {@code O_NOFOLLOW}, each
 * checked with {@code fstat} on its open descriptor: every directory on the way must be owned by
 * root and not writable by group or others (an ancestor may instead be a root-owned sticky
 * directory such as {@code /tmp}: there only root can rename or remove root's entries); the
 * directory holding the target may not be writable by group or others even if sticky, and the
 * target itself must be owned by root and not writable by group or others. A symbolic link
 * anywhere is refused: its target could be anywhere.
 */
public final class RootFiles {
  private static final int DIR_FLAGS = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  private static final int FILE_FLAGS = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
  private static final int STICKY = 01000;

  private RootFiles() {}

  /** Opens the directory {@code dir}, checked with every directory above it. */
  public static Fd openDir(Path dir) throws IOException {
    List<String> parts = parts(dir);
    Fd current = openRoot(dir, parts.isEmpty());
    String where = "";
    try {
      for (int i = 0; i < parts.size(); i++) {
        where = where + "/" + parts.get(i);
        Fd next = openComponent(current, parts.get(i), where, DIR_FLAGS, "directory");
        current.close();
        current = next;
        checkDirectory(current.stat(), where, i == parts.size() - 1);
      }
      return current;
    } catch (IOException | RuntimeException e) {
      TreeIo.closeQuietly(current, e);
      throw e;
    }
  }

  /**
   * Reads {@code file}: a regular file of at most {@code maxBytes} bytes that root owns and only
   * root may write, in directories only root may change.
   */
  public static byte[] read(Path file, int maxBytes) throws IOException {
    String where = file.toString();
    try (Fd dir = openDir(parent(file)); Fd in = openComponent(dir, name(file), where, FILE_FLAGS, "file")) {
      Stat st = in.stat();
      if (!st.isRegular()) {
        throw new IOException(where + " is " + TreeIo.typePhrase(st) + "; a regular file is needed");
      }
      checkOwner(st, where);
      if (st.size() > maxBytes) {
        throw new IOException(where + " is " + st.size() + " bytes; at most " + maxBytes + " are read");
      }
      byte[] buf = new byte[maxBytes + 1];
      int total = 0;
      for (int n; total < buf.length && (n = in.read(buf, total, buf.length - total)) > 0; ) {
        total += n;
      }
      if (total > maxBytes) {
        throw new IOException(where + " grew beyond " + maxBytes + " bytes while being read");
      }
      return Arrays.copyOf(buf, total);
    }
  }

  /**
   * Checks that {@code path} (a file, directory or socket) is root's and that only root may
   * change it or any directory above it. It need not exist yet (libvirtd may not have made its
   * socket): in those directories only root could make it.
   */
  public static void check(Path path) throws IOException {
    if (parts(path).isEmpty()) {
      openDir(path).close();
      return;
    }
    String where = path.toString();
    try (Fd dir = openDir(parent(path))) {
      Stat st;
      try {
        st = dir.statAt(TreeNames.bytes(name(path)), where);
      } catch (ErrnoException e) {
        if (e.errno() == ErrnoException.ENOENT) {
          return;
        }
        throw AbsolutePaths.explain(dir, TreeNames.bytes(name(path)), where, e, "file");
      }
      if (st.isSymlink()) {
        throw new IOException(where + " is a symbolic link; give the path it points to, whose "
            + "directories only root may change");
      }
      if (st.type() == Stat.S_IFSOCK) {
        // A socket's write bit means "may connect", which libvirtd's socket grants on purpose.
        if (st.uid() != 0) {
          throw new IOException(where + " is owned by uid " + st.uid() + ", not by root; only "
              + "root's own socket is accepted");
        }
        return;
      }
      checkOwner(st, where);
    }
  }

  private static Fd openRoot(Path path, boolean leaf) throws IOException {
    Fd root = Fd.open("/", DIR_FLAGS, 0);
    try {
      checkDirectory(root.stat(), "/", leaf);
      return root;
    } catch (IOException | RuntimeException e) {
      TreeIo.closeQuietly(root, e);
      throw e;
    }
  }

  private static Fd openComponent(Fd dir, String name, String where, int flags, String wanted)
      throws IOException {
    return AbsolutePaths.open(dir, name, where, flags, wanted);
  }

  private static void checkDirectory(Stat st, String where, boolean leaf) throws IOException {
    if (st.uid() != 0) {
      throw new IOException(where + " is owned by uid " + st.uid() + ", not by root; wirtctl uses "
          + "only directories that root alone may change (chown root " + where + ")");
    }
    boolean writable = (st.permissions() & 022) != 0;
    boolean sticky = (st.permissions() & STICKY) != 0;
    if (writable && (leaf || !sticky)) {
      throw new IOException(where + " is writable by " + writers(st) + " (mode "
          + String.format("%04o", st.permissions()) + "); wirtctl uses only directories that "
          + "root alone may change (chmod go-w " + where + ")");
    }
  }

  private static void checkOwner(Stat st, String where) throws IOException {
    if (st.uid() != 0) {
      throw new IOException(where + " is owned by uid " + st.uid() + ", not by root; only a "
          + "file root owns and alone may change is accepted (chown root " + where + ")");
    }
    if ((st.permissions() & 022) != 0) {
      throw new IOException(where + " is writable by " + writers(st) + " (mode "
          + String.format("%04o", st.permissions()) + "); only a file root alone may change is "
          + "accepted (chmod go-w " + where + ")");
    }
  }

  private static String writers(Stat st) {
    int p = st.permissions();
    return (p & 020) != 0 && (p & 002) != 0 ? "its group and others"
        : (p & 020) != 0 ? "its group" : "others";
  }

  private static List<String> parts(Path path) {
    return AbsolutePaths.parts(path);
  }

  private static Path parent(Path file) {
    Path parent = file.getParent();
    if (parent == null) {
      throw new IllegalArgumentException(file + " is not a file in a directory");
    }
    return parent;
  }

  private static String name(Path file) {
    return file.getFileName().toString();
  }
}
