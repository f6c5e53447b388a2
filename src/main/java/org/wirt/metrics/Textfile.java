package org.wirt.metrics;

import static org.wirt.posix.Fd.O_CLOEXEC;
import static org.wirt.posix.Fd.O_CREAT;
import static org.wirt.posix.Fd.O_DIRECTORY;
import static org.wirt.posix.Fd.O_EXCL;
import static org.wirt.posix.Fd.O_NOFOLLOW;
import static org.wirt.posix.Fd.O_RDONLY;
import static org.wirt.posix.Fd.O_WRONLY;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Objects;
import org.wirt.posix.ErrnoException;
import org.wirt.posix.Fd;

/**
 * The admin's Prometheus textfile ({@code metrics.textfile}), written by root: a temporary beside
 * it, mode 0644, fsync'd and renamed over it, so node_exporter reads either the old file or the
 * new one, never half of one.
 *
 * <p>The directory may belong to another user (node_exporter's, say). Nothing there is followed:
 * the temporary is made with {@code O_CREAT|O_EXCL|O_NOFOLLOW} on the directory's descriptor, its
 * mode is set on that descriptor, and the rename moves the entry itself; a link planted at either
 * name is replaced or refused, never written through.
 */
public final class Textfile {
  /** The file's mode: node_exporter runs as a user of its own and must read it. */
  static final int MODE = 0644;

  private final Path file;
  private final byte[] name;
  private final byte[] temporary;

  /** @param file an absolute path whose name ends in {@code .prom} */
  public Textfile(Path file) {
    this.file = Objects.requireNonNull(file, "file");
    if (!file.isAbsolute() || file.getParent() == null
        || !file.getFileName().toString().endsWith(".prom")) {
      throw new IllegalArgumentException("not an absolute path of a .prom file: " + file);
    }
    String base = file.getFileName().toString();
    this.name = base.getBytes(StandardCharsets.UTF_8);
    // Not *.prom, so the collector skips it; one fixed name, so a crash leaves nothing behind
    // that the next write does not remove.
    this.temporary = ("." + base + ".wirtd-tmp").getBytes(StandardCharsets.UTF_8);
  }

  public Path path() {
    return file;
  }

  /** Replaces the file's content with {@code text}. */
  public void write(String text) throws IOException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    String where = file + " (temporary)";
    try (Fd dir = Fd.open(file.getParent().toString(), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0)) {
      unlinkIfThere(dir, where);
      try {
        try (Fd f = dir.openAt(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
            MODE, where)) {
          // On the descriptor: wirtd's umask (0077 under systemd) took the read bits away.
          f.chmod(MODE);
          f.writeAll(bytes);
          f.fsync();
        }
        dir.renameAt(temporary, dir, name, 0, file.toString());
      } catch (IOException | RuntimeException e) {
        try {
          unlinkIfThere(dir, where);
        } catch (IOException cleanup) {
          e.addSuppressed(cleanup);
        }
        throw e;
      }
    }
  }

  private void unlinkIfThere(Fd dir, String where) throws IOException {
    try {
      dir.unlinkAt(temporary, 0, where);
    } catch (ErrnoException e) {
      if (e.errno() != ErrnoException.ENOENT) {
        throw e;
      }
    }
  }
}
