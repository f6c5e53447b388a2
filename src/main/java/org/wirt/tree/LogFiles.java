package org.wirt.tree;

import static org.wirt.posix.Fd.O_APPEND;
import static org.wirt.posix.Fd.O_CLOEXEC;
import static org.wirt.posix.Fd.O_CREAT;
import static org.wirt.posix.Fd.O_NOCTTY;
import static org.wirt.posix.Fd.O_NOFOLLOW;
import static org.wirt.posix.Fd.O_NONBLOCK;
import static org.wirt.posix.Fd.O_RDONLY;
import static org.wirt.posix.Fd.O_WRONLY;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.posix.ErrnoException;
import org.wirt.posix.Fd;
import org.wirt.posix.Stat;

/**
 * The logs of one tree ({@code logs/history.log}, {@code logs/vm/<vm>.log}): a line appended
 * with one write, rotation into gzipped files streamed from the descriptor, and the rule that a
 * log wirt's appends cannot have made (oversized or sparse) is emptied unread.
 */
final class LogFiles {
  private static final Logger LOG = LoggerFactory.getLogger(LogFiles.class);
  private static final Object[] APPEND_LOCKS = newLocks(64);

  /**
   * A log larger than this many times its rotation size, or sparse, was not written by wirt's
   * appends alone: it is discarded unread.
   */
  static final int KEPT_ROTATIONS = 2;

  /** A log over its rotation size with less than 1/16 of it on disk is sparse. */
  static final int SPARSE_RATIO = 16;

  private final HomeTree tree;

  LogFiles(HomeTree tree) {
    this.tree = Objects.requireNonNull(tree, "tree");
  }

  /** See {@link HomeTree#appendLine(String, byte[], long, int, HomeTree.NoteFormat)}. */
  void appendLine(String relativePath, byte[] line, long rotateAtBytes, int keep,
      HomeTree.NoteFormat note) throws IOException {
    List<String> parts = TreeNames.relative(relativePath);
    byte[] name = TreeNames.bytes(parts.get(parts.size() - 1));
    String where = tree.where() + "/" + relativePath;
    Objects.requireNonNull(note, "note");
    // One lock per log file (striped): two appends to one log never interleave a rotation.
    Object lock = APPEND_LOCKS[Math.floorMod(Objects.hash(tree.home(), relativePath), APPEND_LOCKS.length)];
    tree.run(root -> {
      try (Fd dir = TreeIo.walk(root, parts.subList(0, parts.size() - 1), tree.where(), true)) {
        synchronized (lock) {
          append(dir, name, where, line, rotateAtBytes, keep, note);
        }
      }
      return null;
    });
  }

  private void append(Fd dir, byte[] name, String where, byte[] line, long rotateAtBytes, int keep,
      HomeTree.NoteFormat note) throws IOException {
    Fd log;
    try {
      // O_NONBLOCK: a FIFO planted here fails (ENXIO) or is caught by the fstat below, never blocks.
      log = dir.openAt(name, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
          0600, where);
    } catch (ErrnoException e) {
      throw TreeIo.explain(dir, name, where, e, "regular file");
    }
    try (log) {
      Stat st = log.stat();
      String problem = RegularFiles.problem(st, tree.identity());
      if (problem != null) {
        throw new IOException(where + " " + problem.replace("a command file", "a log file")
            + "; wirt does not write to it");
      }
      long size = st.size();
      String foreign = notWrittenByWirt(st, rotateAtBytes);
      if (foreign != null) {
        // Reading it would cost what the user chose (4 GiB of holes cost them nothing).
        log.truncate(0);
        LOG.warn("discarded log unread user={} path={} bytes={} allocated={} reason=\"{}\"",
            tree.identity().user(), where, st.size(), st.allocatedBytes(), foreign);
        byte[] noteLine = note.line("wirt discarded " + st.size() + " bytes of " + where
            + ", which it did not write: " + foreign);
        writeLine(log, noteLine, 0, where);
        size = noteLine.length;
      }
      writeLine(log, line, size, where);
      if (size + line.length > rotateAtBytes) {
        try {
          rotate(dir, name, where, log, keep, size + line.length);
        } catch (IOException e) {
          LOG.warn("cannot rotate log user={} path={}; the line is written, the next append tries "
              + "again", tree.identity().user(), where, e);
        }
      }
    }
  }

  /**
   * Why the open log {@code st} cannot be what wirt's appends made (they rotate it once it passes
   * {@code rotateAtBytes}), so that it is discarded unread; null if it may be.
   */
  private static String notWrittenByWirt(Stat st, long rotateAtBytes) {
    if (st.size() > rotateAtBytes && st.allocatedBytes() < st.size() / SPARSE_RATIO) {
      return "it is sparse (" + st.allocatedBytes() + " of its bytes are on disk); wirt keeps a log "
          + "of up to " + maxLogBytes(rotateAtBytes) + " bytes that it wrote itself";
    }
    if (st.size() > maxLogBytes(rotateAtBytes)) {
      return "wirt rotates this log at " + rotateAtBytes + " bytes and keeps at most "
          + maxLogBytes(rotateAtBytes);
    }
    return null;
  }

  private static long maxLogBytes(long rotateAtBytes) {
    return rotateAtBytes > Long.MAX_VALUE / KEPT_ROTATIONS ? Long.MAX_VALUE
        : rotateAtBytes * KEPT_ROTATIONS;
  }

  /** One write of the whole line at the end; on failure the file is cut back to {@code size}. */
  private static void writeLine(Fd log, byte[] line, long size, String where) throws IOException {
    int written;
    try {
      written = log.write(line, 0, line.length);
    } catch (IOException e) {
      undo(log, size, e);
      throw e;
    }
    if (written != line.length) {
      IOException e = new IOException(where + ": short write of " + written + " of " + line.length
          + " bytes; the partial line was removed");
      undo(log, size, e);
      throw e;
    }
  }

  private static void undo(Fd log, long size, IOException failure) {
    try {
      log.truncate(size);
    } catch (IOException e) {
      failure.addSuppressed(e);
    }
  }

  /**
   * Moves the first {@code length} bytes of the live log (all that is known to be there) into
   * {@code .1.gz}, gzipped as they are read, and empties the live log.
   */
  private void rotate(Fd dir, byte[] name, String where, Fd log, int keep, long length) throws IOException {
    if (keep > 0) {
      String base = new String(name, StandardCharsets.UTF_8);
      for (int i = keep - 1; i >= 1; i--) {
        try {
          dir.renameAt(TreeNames.bytes(base + "." + i + ".gz"), dir,
              TreeNames.bytes(base + "." + (i + 1) + ".gz"), 0, where);
        } catch (ErrnoException e) {
          if (e.errno() != ErrnoException.ENOENT) {
            throw e;
          }
        }
      }
      Stat expected = log.stat();
      try (Fd in = dir.openAt(name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0, where)) {
        Stat st = in.stat();
        if (st.dev() != expected.dev() || st.ino() != expected.ino()) {
          throw new IOException(where + " was replaced while being rotated");
        }
        TreeIo.replaceFile(dir, TreeNames.bytes(base + ".1.gz"), where + ".1.gz",
            out -> TreeIo.gzip(in, length, out));
      }
    }
    log.truncate(0);
    LOG.info("rotated log user={} path={} keep={}", tree.identity().user(), where, keep);
  }

  private static Object[] newLocks(int n) {
    Object[] locks = new Object[n];
    Arrays.setAll(locks, i -> new Object());
    return locks;
  }
}
