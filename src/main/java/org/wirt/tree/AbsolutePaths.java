package org.wirt.tree;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.wirt.posix.ErrnoException;
import org.wirt.posix.Fd;
import org.wirt.posix.Stat;

/** What {@link RootFiles} and {@link CallerFiles} share: walking an absolute path from {@code /}. */
final class AbsolutePaths {
  private AbsolutePaths() {}

  /** The components of an absolute, normalized path. */
  static List<String> parts(Path path) {
    if (!path.isAbsolute() || !path.normalize().equals(path)) {
      throw new IllegalArgumentException(path + " is not an absolute, normalized path");
    }
    List<String> parts = new ArrayList<>();
    for (Path p : path) {
      parts.add(p.toString());
    }
    return parts;
  }

  /**
   * Opens the single component {@code name} of {@code dir} with {@code flags} (which include
   * {@code O_NOFOLLOW}); a failure says what is there instead of a {@code wanted}.
   */
  static Fd open(Fd dir, String name, String where, int flags, String wanted) throws IOException {
    byte[] raw = TreeNames.bytes(name);
    try {
      return dir.openAt(raw, flags, 0, where);
    } catch (ErrnoException e) {
      throw explain(dir, raw, where, e, wanted);
    }
  }

  /** Turns a failed open or stat into a message that names the path and what is there. */
  static IOException explain(Fd dir, byte[] raw, String where, ErrnoException e, String wanted) {
    if (e.errno() == ErrnoException.ENOENT) {
      NoSuchFileException missing = new NoSuchFileException(where, null, "no such " + wanted);
      missing.initCause(e);
      return missing;
    }
    if (e.errno() == ErrnoException.ELOOP || e.errno() == ErrnoException.ENOTDIR
        || e.errno() == ErrnoException.ENXIO) {
      try {
        Stat st = dir.statAt(raw, where);
        if (st.isSymlink()) {
          return new IOException(where + " is a symbolic link; wirtctl follows no links here: "
              + "give the path it points to (realpath " + where + ")", e);
        }
        return new IOException(where + " is " + TreeIo.typePhrase(st) + ", not a " + wanted, e);
      } catch (IOException ignored) {
        return e;
      }
    }
    return e;
  }
}
