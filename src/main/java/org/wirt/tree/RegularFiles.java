package org.wirt.tree;

import static org.wirt.posix.Fd.O_CLOEXEC;
import static org.wirt.posix.Fd.O_NOCTTY;
import static org.wirt.posix.Fd.O_NOFOLLOW;
import static org.wirt.posix.Fd.O_NONBLOCK;
import static org.wirt.posix.Fd.O_RDONLY;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.Arrays;
import org.wirt.posix.ErrnoException;
import org.wirt.posix.Fd;
import org.wirt.posix.Stat;

/**
 * The one rule for a file wirtd reads or appends to in a home: a regular file owned by the user
 * with one link, and for a read, no larger than a limit checked on the open descriptor. Callers
 * run with the user's filesystem identity.
 */
final class RegularFiles {
  private RegularFiles() {}

  /**
   * Reads the entry {@code raw} of {@code dir} if it is a regular file that passes {@link
   * #problem} and holds at most {@code maxBytes}; otherwise says why not, without reading.
   *
   * @throws NoSuchFileException if there is no such entry
   */
  static ReadResult read(Fd dir, byte[] raw, String where, int maxBytes, Identity identity)
      throws IOException {
    Stat seen = TreeIo.statOrNull(dir, raw, where);
    if (seen == null) {
      throw new NoSuchFileException(where);
    }
    if (!seen.isRegular()) {
      return refuseType(seen);
    }
    Fd file;
    try {
      // O_NONBLOCK: should a FIFO be swapped in after the statx, opening it must not hang.
      file = dir.openAt(raw, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0, where);
    } catch (ErrnoException e) {
      return refuseOpen(dir, raw, where, e, identity);
    }
    try (file) {
      return readChecked(file, maxBytes, identity);
    }
  }

  /** What disqualifies an open file from being the user's command or log; null if nothing. */
  static String problem(Stat st, Identity identity) {
    if (!st.isRegular()) {
      return "is " + TreeIo.typePhrase(st) + "; wirt accepts only regular files";
    }
    if (st.uid() != identity.uid()) {
      return "is owned by uid " + st.uid() + ", not by " + identity.user() + " (uid " + identity.uid() + ")";
    }
    if (st.nlink() != 1) {
      return "has " + st.nlink() + " hard links; a command file must have exactly one";
    }
    return null;
  }

  private static ReadResult readChecked(Fd file, int maxBytes, Identity identity) throws IOException {
    Stat st = file.stat();
    String problem = problem(st, identity);
    if (problem != null) {
      return new ReadResult.Refused(problem);
    }
    if (st.size() > maxBytes) {
      return new ReadResult.Refused("is " + st.size() + " bytes; at most " + maxBytes + " are accepted");
    }
    // Sized by the file, not by the limit (which may be megabytes): one byte more shows growth.
    byte[] buf = new byte[(int) st.size() + 1];
    int total = 0;
    while (true) {
      if (total == buf.length) {
        if (buf.length > maxBytes) {
          break;
        }
        buf = Arrays.copyOf(buf, (int) Math.min((long) maxBytes + 1, 2L * buf.length));
      }
      int n = file.read(buf, total, buf.length - total);
      if (n == 0) {
        break;
      }
      total += n;
    }
    if (total > maxBytes) {
      return new ReadResult.Refused("grew beyond " + maxBytes + " bytes while being read; at most "
          + maxBytes + " are accepted");
    }
    return new ReadResult.Content(Arrays.copyOf(buf, total), TreeIo.facts(st));
  }

  private static ReadResult refuseType(Stat st) {
    return new ReadResult.Refused("is " + TreeIo.typePhrase(st) + "; wirt accepts only regular files");
  }

  private static ReadResult refuseOpen(Fd dir, byte[] raw, String where, ErrnoException e,
      Identity identity) throws IOException {
    switch (e.errno()) {
      case ErrnoException.ENOENT -> {
        throw TreeIo.missing(where, e);
      }
      case ErrnoException.EACCES -> {
        return new ReadResult.Refused("cannot be read by " + identity.user()
            + " (EACCES); a command file must be readable by its owner");
      }
      case ErrnoException.ELOOP, ErrnoException.ENXIO -> {
        Stat now = TreeIo.statOrNull(dir, raw, where);
        if (now != null && !now.isRegular()) {
          return refuseType(now);
        }
        throw e;
      }
      default -> throw e;
    }
  }
}
