package org.wirt.status;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Set;
import java.util.zip.GZIPOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.config.LimitsConfig;

/**
 * {@code <logDir>/audit.log}: the authoritative record of every command, readable by root only
 * (SPEC 6 item 5). It lives in root's own directory, so ordinary file APIs are safe here.
 *
 * <p>Its growth is driven by users (every command and every recorded refusal is a line), so wirtd
 * rotates it itself, without logrotate: once the file is larger than {@code rotateAtBytes} it
 * becomes {@code audit.log.1.gz}, older ones shift up to {@code audit.log.<keep>.gz} and the oldest
 * is removed. The disk it takes is bounded by about {@code rotateAtBytes × (1 + keep / 5)} (JSON
 * lines compress at least five times).
 */
public final class AuditLog implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AuditLog.class);

  private final Path file;
  private final long rotateAtBytes;
  private final int keep;
  /** Held while rotated files are shifted or compressed; taken after this object's lock. */
  private final Object rotation = new Object();
  private FileChannel channel;
  private long size;

  /** The audit log in {@code logDir} with the default rotation ({@link LimitsConfig#DEFAULTS}). */
  public AuditLog(Path logDir) throws IOException {
    this(logDir, LimitsConfig.DEFAULTS.auditRotateBytes(), LimitsConfig.DEFAULTS.auditKept());
  }

  public AuditLog(Path logDir, long rotateAtBytes, int keep) throws IOException {
    if (rotateAtBytes <= 0 || keep < 1) {
      throw new IllegalArgumentException("rotateAtBytes and keep must be positive");
    }
    Files.createDirectories(logDir);
    this.file = logDir.resolve("audit.log");
    this.rotateAtBytes = rotateAtBytes;
    this.keep = keep;
    // A rotation a crash interrupted left the renamed file not yet compressed.
    Path uncompressed = rotated(0);
    if (Files.exists(uncompressed)) {
      compress(uncompressed);
    }
    open();
  }

  public Path file() {
    return file;
  }

  /** Appends one record; failures are logged, since the user's own records are written too. */
  public void append(Outcome outcome) {
    write(Json.line(outcome), outcome.user());
  }

  /**
   * Appends a line that is no command record: what wirtd decided about a user's records ({@code
   * event} like {@code "records-given-up"}), with the same time, user and VM keys.
   */
  public void note(Instant time, String user, String vm, String event, String message) {
    ObjectNode n = Json.MAPPER.createObjectNode();
    n.put("time", time.toString());
    n.put("user", user);
    n.put("vm", vm);
    n.put("event", event);
    n.put("message", message);
    write((Json.compact(n) + "\n").getBytes(StandardCharsets.UTF_8), user);
  }

  private void write(byte[] bytes, String user) {
    Path toCompress = null;
    synchronized (this) {
      ByteBuffer line = ByteBuffer.wrap(bytes);
      try {
        while (line.hasRemaining()) {
          size += channel.write(line);
        }
        if (size > rotateAtBytes) {
          toCompress = shift();
        }
      } catch (IOException e) {
        log.error("audit log write failed file={} user={}", file, user, e);
      }
    }
    if (toCompress != null) {
      // Compressed outside the lock: workers go on appending to the new file meanwhile.
      synchronized (rotation) {
        try {
          compress(toCompress);
        } catch (IOException e) {
          log.error("audit log rotation failed file={}", toCompress, e);
        }
      }
    }
  }

  /** Renames the live file away and opens a new one; returns the renamed file to compress. */
  private Path shift() throws IOException {
    synchronized (rotation) {
      Files.deleteIfExists(rotated(keep));
      for (int i = keep - 1; i >= 1; i--) {
        if (Files.exists(rotated(i))) {
          Files.move(rotated(i), rotated(i + 1), StandardCopyOption.REPLACE_EXISTING);
        }
      }
      channel.close();
      Files.move(file, rotated(0), StandardCopyOption.REPLACE_EXISTING);
      open();
      log.info("audit log rotated file={} kept={}", file, keep);
      return rotated(0);
    }
  }

  /** {@code audit.log.<i>.gz}, or for 0 the renamed file not yet compressed. */
  private Path rotated(int i) {
    return file.resolveSibling(i == 0 ? "audit.log.0" : "audit.log." + i + ".gz");
  }

  /** Streams {@code from} into {@code audit.log.1.gz} (through a temporary name) and removes it. */
  private void compress(Path from) throws IOException {
    Path temp = file.resolveSibling(".audit.log.1.gz.tmp");
    try (InputStream in = Files.newInputStream(from);
        OutputStream out = new GZIPOutputStream(Files.newOutputStream(temp,
            StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE), 1 << 16)) {
      in.transferTo(out);
    }
    Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-------"));
    if (Files.exists(rotated(1))) {
      // A second rotation came before this one's compression: keep both, shifting the older.
      for (int i = keep - 1; i >= 1; i--) {
        if (Files.exists(rotated(i))) {
          Files.move(rotated(i), rotated(i + 1), StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
    Files.move(temp, rotated(1), StandardCopyOption.ATOMIC_MOVE,
        StandardCopyOption.REPLACE_EXISTING);
    Files.delete(from);
  }

  private void open() throws IOException {
    channel = FileChannel.open(file,
        Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    size = channel.size();
  }

  @Override
  public synchronized void close() throws IOException {
    channel.close();
  }
}
