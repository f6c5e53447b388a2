package org.wirt.console;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.config.ConsoleConfig;
import org.wirt.tree.HomeTree;

/**
 * Copies what libvirt logs of each VM's serial console ({@code <log file=…>} in root's {@code
 * console.logDir}, written by virtlogd) into the owner's {@code logs/vm/<vm>.console.log},
 * appended with the owner's identity and rotated like the other logs.
 *
 * <p>Bounded: one call copies at most {@link #MAX_CHUNK} bytes of one VM, so a guest that prints
 * without pause costs each pass a fixed time and memory, and the rest comes at the next pass. A
 * log that shrank or was replaced (virtlogd rotates at its {@code max_size}) is read again from
 * its start. A log that already existed when wirtd first looked is copied from its end on: what
 * came while wirtd was down stays in root's copy only, and nothing is copied twice.
 */
public final class ConsoleLogs {
  private static final Logger log = LoggerFactory.getLogger(ConsoleLogs.class);
  static final int MAX_CHUNK = 64 * 1024;
  static final long ROTATE_AT_BYTES = 1 << 20;
  static final int ROTATED_KEPT = 5;

  private final ConsoleConfig config;

  /** How far each domain's log was copied, and which file that was. */
  private record Copied(Object fileKey, long offset) {}

  /** Domains whose log did not exist at the first look: theirs is copied from its start. */
  private static final Copied ABSENT = new Copied(null, 0);

  private final Map<String, Copied> copied = new ConcurrentHashMap<>();

  public ConsoleLogs(ConsoleConfig config) {
    this.config = Objects.requireNonNull(config, "config");
  }

  /** Returns the user's copy of a VM's console log, relative to their tree. */
  public static String userLog(String vm) {
    return "logs/vm/" + vm + ".console.log";
  }

  /**
   * Copies what is new in the domain's console log into the owner's tree.
   *
   * @return the number of bytes copied
   */
  public int copy(HomeTree tree, String vm, String domain) {
    Path file = config.logFile(domain);
    Copied before = copied.get(domain);
    Optional<BasicFileAttributes> attrs = attributes(file);
    if (attrs.isEmpty()) {
      copied.put(domain, ABSENT);
      return 0;
    }
    Object key = attrs.get().fileKey();
    long size = attrs.get().size();
    long from;
    if (before == null) {
      from = size;
    } else if (before == ABSENT || !key.equals(before.fileKey()) || size < before.offset()) {
      from = 0;
    } else {
      from = before.offset();
    }
    if (from >= size) {
      copied.put(domain, new Copied(key, from));
      return 0;
    }
    ByteBuffer chunk = ByteBuffer.allocate((int) Math.min(MAX_CHUNK, size - from));
    try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ,
        LinkOption.NOFOLLOW_LINKS)) {
      while (chunk.hasRemaining() && in.read(chunk, from + chunk.position()) > 0) {
        // read until the chunk is full or the file ends
      }
    } catch (IOException e) {
      log.warn("cannot read the console log file={} domain={}", file, domain, e);
      return 0;
    }
    byte[] bytes = Arrays.copyOf(chunk.array(), chunk.position());
    try {
      tree.appendLine(userLog(vm), bytes, ROTATE_AT_BYTES, ROTATED_KEPT);
    } catch (IOException e) {
      log.warn("cannot append to the console log user={} vm={}", tree.identity().user(), vm,
          e);
      return 0;
    }
    copied.put(domain, new Copied(key, from + bytes.length));
    return bytes.length;
  }

  /** Forgets a domain that is gone. */
  public void forget(String domain) {
    copied.remove(domain);
  }

  private static Optional<BasicFileAttributes> attributes(Path file) {
    try {
      BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class,
          LinkOption.NOFOLLOW_LINKS);
      return a.isRegularFile() ? Optional.of(a) : Optional.empty();
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      log.warn("cannot look at the console log file={}", file, e);
      return Optional.empty();
    }
  }
}
