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
import org.wirt.posix.FsIdentity;
import org.wirt.posix.Stat;

/**
 * Files an admin names on wirtctl's command line (an image to import, its description), opened
 * with the admin's own filesystem identity (SPEC 8): root's power never reads for them what they
 * could not read themselves.
 *
 * <p>The path is walked from {@code /} as that user, one component at a time with {@code
 * O_NOFOLLOW} relative to its parent, so no link is followed. The file is looked at before it is
 * opened (a FIFO or device is never opened), opened {@code O_NONBLOCK} (one swapped in meanwhile
 * does not block), and checked again with {@code fstat} on the descriptor: a regular file with
 * one link. The caller then reads that one descriptor; what the path names afterwards does not
 * matter.
 */
public final class CallerFiles {
  private static final int DIR_FLAGS = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  private static final int FILE_FLAGS = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;

  private CallerFiles() {}

  /**
   * Opens {@code file} for reading as {@code as}; a relative path is taken from the working
   * directory. The descriptor stays usable after the identity is switched back.
   *
   * @param what what the file is for, in messages ("the image", "the description")
   */
  public static Fd open(Identity as, Path file, String what) throws IOException {
    Path absolute = file.toAbsolutePath().normalize();
    String where = file.toString();
    List<String> parts = AbsolutePaths.parts(absolute);
    if (parts.isEmpty()) {
      throw new IOException(where + " is a directory; " + what + " must be a regular file");
    }
    try (FsIdentity.Scope scope = FsIdentity.assume(as.uid(), as.gid(), as.groups())) {
      Fd dir = Fd.open("/", DIR_FLAGS, 0);
      try {
        String path = "";
        for (String part : parts.subList(0, parts.size() - 1)) {
          path = path + "/" + part;
          Fd next = openDir(as, dir, part, path);
          dir.close();
          dir = next;
        }
        return openFile(as, dir, parts.get(parts.size() - 1), where, what);
      } finally {
        dir.close();
      }
    }
  }

  /** Reads {@code file} as {@code as}, at most {@code maxBytes} bytes. */
  public static byte[] read(Identity as, Path file, String what, int maxBytes) throws IOException {
    try (Fd in = open(as, file, what)) {
      long size = in.stat().size();
      if (size > maxBytes) {
        throw new IOException(file + " is " + size + " bytes; " + what + " may have at most "
            + maxBytes);
      }
      byte[] buf = new byte[maxBytes + 1];
      int total = 0;
      for (int n; total < buf.length && (n = in.read(buf, total, buf.length - total)) > 0; ) {
        total += n;
      }
      if (total > maxBytes) {
        throw new IOException(file + " grew beyond " + maxBytes + " bytes while being read; "
            + what + " may have at most " + maxBytes);
      }
      return Arrays.copyOf(buf, total);
    }
  }

  private static Fd openFile(Identity as, Fd dir, String name, String where, String what)
      throws IOException {
    byte[] raw = TreeNames.bytes(name);
    Stat before = stat(as, dir, raw, where);
    refuseUnlessPlain(before, where, what);
    Fd file;
    try {
      file = AbsolutePaths.open(dir, name, where, FILE_FLAGS, "file");
    } catch (IOException e) {
      throw denied(as, where, e);
    }
    try {
      // The entry may have been swapped between the look and the open: decide on the descriptor.
      refuseUnlessPlain(file.stat(), where, what);
      return file;
    } catch (IOException | RuntimeException e) {
      TreeIo.closeQuietly(file, e);
      throw e;
    }
  }

  private static Stat stat(Identity as, Fd dir, byte[] raw, String where) throws IOException {
    try {
      return dir.statAt(raw, where);
    } catch (ErrnoException e) {
      throw denied(as, where, AbsolutePaths.explain(dir, raw, where, e, "file"));
    }
  }

  private static void refuseUnlessPlain(Stat st, String where, String what) throws IOException {
    if (st.isSymlink()) {
      throw new IOException(where + " is a symbolic link; wirtctl follows no links in a path you "
          + "give: give the file it points to (realpath " + where + ")");
    }
    if (!st.isRegular()) {
      throw new IOException(where + " is " + TreeIo.typePhrase(st) + "; " + what
          + " must be a regular file");
    }
    if (st.nlink() != 1) {
      throw new IOException(where + " has " + st.nlink() + " hard links; " + what + " must be a "
          + "file with exactly one (copy it: cp " + where + " new-file)");
    }
  }

  private static Fd openDir(Identity as, Fd dir, String name, String where) throws IOException {
    try {
      return AbsolutePaths.open(dir, name, where, DIR_FLAGS, "directory");
    } catch (IOException e) {
      throw denied(as, where, e);
    }
  }

  /** EACCES, said the way an admin can act on: wirtctl reads with their identity, not root's. */
  private static IOException denied(Identity as, String where, IOException e) {
    if (e instanceof ErrnoException errno && errno.errno() == ErrnoException.EACCES) {
      return new IOException(where + " cannot be read by " + as.user() + " (uid " + as.uid()
          + ", " + errno.getMessage() + "); wirtctl reads the files you name with your own "
          + "identity, not root's: give a file you can read", e);
    }
    return e;
  }
}
