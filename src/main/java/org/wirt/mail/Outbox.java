package org.wirt.mail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.config.LimitsConfig;

/**
 * Mail waiting to be sent, {@code <stateDir>/outbox}: one JSON file per notice, written to a
 * temporary name, fsync'd and renamed, so a crash leaves either the whole notice or none. A notice
 * is removed once both the user and root have been mailed about it, so it survives restarts and a
 * relay that is down.
 *
 * <p>Bounded per user: at most {@code perUser} notices of one user wait as files; further ones are
 * counted in one digest per user ({@code digest-<user>.json}, written at most once per send cycle,
 * so a flood costs no fsync per notice). The directory is read once, when wirtd starts; after that
 * the notices are kept in memory (bounded the same way), so a send cycle reads no file.
 */
final class Outbox {
  private static final Logger log = LoggerFactory.getLogger(Outbox.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String DIGEST_PREFIX = "digest-";

  private final Path dir;
  private final int perUser;
  /** Every notice stored, by file name (oldest first: names start with the time). */
  private final TreeMap<String, Notice> notices = new TreeMap<>();
  private final Map<String, Integer> perUserCount = new HashMap<>();
  /** Per user: notices folded into the digest, since when; and whether its file is behind. */
  private final Map<String, Digest> digests = new HashMap<>();

  private static final class Digest {
    long count;
    /** How many of {@link #count} the digest file last written holds. */
    long written;
    Instant since;
    boolean dirty;
  }

  Outbox(Path dir) throws IOException {
    this(dir, LimitsConfig.DEFAULTS.outboxPerUser());
  }

  Outbox(Path dir, int perUser) throws IOException {
    this.dir = Objects.requireNonNull(dir, "dir");
    this.perUser = perUser;
    Files.createDirectories(dir);
    load();
  }

  /** Stores a notice durably; past {@code perUser} notices of its user it is folded instead. */
  synchronized void put(Notice n) throws IOException {
    boolean known = notices.containsKey(n.id());
    if (!known && !n.id().startsWith(DIGEST_PREFIX)
        && perUserCount.getOrDefault(n.user(), 0) >= perUser) {
      fold(n.user(), n.created(), 1);
      return;
    }
    write(n);
    notices.put(n.id(), n);
    if (!known) {
      perUserCount.merge(n.user(), 1, Integer::sum);
    }
  }

  /**
   * Returns every stored notice, oldest first, a user's digest after their notices; digests
   * counted since the last call are written first (one file per user).
   */
  synchronized List<Notice> all() throws IOException {
    for (Map.Entry<String, Digest> e : digests.entrySet()) {
      Digest d = e.getValue();
      if (d.dirty) {
        Notice n = digestNotice(e.getKey(), d);
        write(n);
        d.written = d.count;
        if (notices.put(n.id(), n) == null) {
          perUserCount.merge(n.user(), 1, Integer::sum);
        }
        d.dirty = false;
      }
    }
    return new ArrayList<>(notices.values());
  }

  synchronized void remove(Notice n) throws IOException {
    Files.deleteIfExists(dir.resolve(n.id()));
    if (notices.remove(n.id()) != null) {
      perUserCount.computeIfPresent(n.user(), (u, c) -> c <= 1 ? null : c - 1);
    }
    if (n.id().startsWith(DIGEST_PREFIX)) {
      // Both were told of what the digest held; what was folded since stays counted.
      Digest d = digests.get(n.user());
      if (d != null) {
        d.count -= d.written;
        d.written = 0;
        if (d.count <= 0) {
          digests.remove(n.user());
        }
      }
    }
  }

  /** Returns how many notices are stored as files (digests included). */
  synchronized int fileCount() {
    return notices.size();
  }

  private void fold(String user, Instant time, long count) {
    Digest d = digests.computeIfAbsent(user, u -> new Digest());
    if (d.since == null || time.isBefore(d.since)) {
      d.since = time;
    }
    d.count += count;
    d.dirty = true;
  }

  private Notice digestNotice(String user, Digest d) {
    // A digest mailed to one side already is sent again as new: it counts more now.
    return new Notice(DIGEST_PREFIX + user + ".json", d.since, user, "-", "more notices",
        "digest", d.count + " more notice" + (d.count == 1 ? "" : "s")
            + " since " + d.since + " were not queued one by one: at most " + perUser
            + " wait per user (limits.outboxPerUser); every one is in the history",
        null, null, false, false, Math.max(1, d.count));
  }

  private void write(Notice n) throws IOException {
    ObjectNode o = JSON.createObjectNode();
    o.put("created", n.created().toString());
    o.put("user", n.user());
    o.put("vm", n.vm());
    o.put("what", n.what());
    o.put("result", n.result());
    o.put("message", n.message());
    o.put("record", n.record());
    o.put("state", n.state());
    o.put("sentToUser", n.sentToUser());
    o.put("sentToAdmin", n.sentToAdmin());
    o.put("count", n.count());
    Path temp = dir.resolve("." + n.id() + ".tmp");
    try (FileChannel ch = FileChannel.open(temp, Set.of(StandardOpenOption.CREATE,
        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
      ByteBuffer b = ByteBuffer.wrap(JSON.writeValueAsBytes(o));
      while (b.hasRemaining()) {
        ch.write(b);
      }
      ch.force(false);
    }
    Files.move(temp, dir.resolve(n.id()), StandardCopyOption.ATOMIC_MOVE,
        StandardCopyOption.REPLACE_EXISTING);
  }

  /**
   * Reads the directory once, streaming: at most {@code perUser} notices of a user are kept, the
   * others (an outbox a flood filled before this bound existed) are folded into the digest and
   * their files removed. A file that cannot be read is logged and kept.
   */
  private void load() throws IOException {
    List<Path> excess = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.json")) {
      for (Path f : files) {
        String name = f.getFileName().toString();
        if (name.startsWith(".")) {
          continue;
        }
        Notice n;
        long count;
        try {
          JsonNode o = JSON.readTree(Files.readString(f));
          n = new Notice(name, Instant.parse(o.path("created").asText()), o.path("user").asText(),
              o.path("vm").asText(), o.path("what").asText(), o.path("result").asText(),
              o.path("message").asText(), text(o, "record"), text(o, "state"),
              o.path("sentToUser").asBoolean(), o.path("sentToAdmin").asBoolean(),
              Math.max(1, o.path("count").asLong(1)));
          count = Math.max(1, o.path("count").asLong(1));
        } catch (IOException | RuntimeException e) {
          log.warn("outbox file unreadable, left in place file={}", f, e);
          continue;
        }
        if (name.startsWith(DIGEST_PREFIX)) {
          fold(n.user(), n.created(), count);
          digests.get(n.user()).dirty = false;
          digests.get(n.user()).written = count;
          notices.put(name, n);
          perUserCount.merge(n.user(), 1, Integer::sum);
        } else if (perUserCount.getOrDefault(n.user(), 0) >= perUser) {
          fold(n.user(), n.created(), 1);
          excess.add(f);
        } else {
          notices.put(name, n);
          perUserCount.merge(n.user(), 1, Integer::sum);
        }
      }
    }
    // The digest is durable before the notices it counts are removed.
    all();
    for (Path f : excess) {
      Files.deleteIfExists(f);
    }
    if (!excess.isEmpty()) {
      log.info("outbox folded notices into digests count={} perUser={}", excess.size(), perUser);
    }
  }

  private static String text(JsonNode o, String key) {
    JsonNode v = o.get(key);
    return v == null || v.isNull() ? null : v.asText();
  }
}
