package org.wirt.status;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code <logDir>/audit.log}: the authoritative record of every command, readable by root only
 * (SPEC 6 item 5). It lives in root's own directory, so ordinary file APIs are safe here.
 */
public final class AuditLog implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AuditLog.class);

  private final Path file;
  private final FileChannel channel;

  public AuditLog(Path logDir) throws IOException {
    Files.createDirectories(logDir);
    this.file = logDir.resolve("audit.log");
    this.channel = FileChannel.open(file,
        java.util.Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
  }

  public Path file() {
    return file;
  }

  /** Appends one record; failures are logged, since the user's own records are written too. */
  public synchronized void append(Outcome outcome) {
    ByteBuffer line = ByteBuffer.wrap(Json.line(outcome));
    try {
      while (line.hasRemaining()) {
        channel.write(line);
      }
    } catch (IOException e) {
      log.error("audit log write failed file={} user={} vm={} verb={}", file, outcome.user(),
          outcome.vm(), outcome.verb(), e);
    }
  }

  @Override
  public synchronized void close() throws IOException {
    channel.close();
  }
}
