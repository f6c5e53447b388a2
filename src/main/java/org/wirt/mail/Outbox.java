package org.wirt.mail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mail waiting to be sent, {@code <stateDir>/outbox}: one JSON file per notice, written to a
 * temporary name, fsync'd and renamed, so a crash leaves either the whole notice or none. A notice
 * is removed once both the user and root have been mailed about it, so it survives restarts and a
 * relay that is down.
 */
final class Outbox {
  private static final Logger log = LoggerFactory.getLogger(Outbox.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;

  Outbox(Path dir) throws IOException {
    this.dir = dir;
    Files.createDirectories(dir);
  }

  /** Stores a notice durably. */
  void put(Notice n) throws IOException {
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

  /** Returns every stored notice, oldest first; a file that cannot be read is logged and kept. */
  List<Notice> all() throws IOException {
    List<Notice> notices = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".json")
          && !p.getFileName().toString().startsWith(".")).sorted().toList()) {
        try {
          JsonNode o = JSON.readTree(Files.readString(f, StandardCharsets.UTF_8));
          notices.add(new Notice(f.getFileName().toString(),
              Instant.parse(o.path("created").asText()), o.path("user").asText(),
              o.path("vm").asText(), o.path("what").asText(), o.path("result").asText(),
              o.path("message").asText(), text(o, "record"), text(o, "state"),
              o.path("sentToUser").asBoolean(), o.path("sentToAdmin").asBoolean()));
        } catch (IOException | RuntimeException e) {
          log.warn("outbox file unreadable, left in place file={}: {}", f, e.getMessage());
        }
      }
    }
    return notices;
  }

  void remove(Notice n) throws IOException {
    Files.deleteIfExists(dir.resolve(n.id()));
  }

  private static String text(JsonNode o, String key) {
    JsonNode v = o.get(key);
    return v == null || v.isNull() ? null : v.asText();
  }
}
