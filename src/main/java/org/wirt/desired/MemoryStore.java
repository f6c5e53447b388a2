package org.wirt.desired;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.command.Names;

/**
 * Keeps each VM's {@link Memory} in {@code <stateDir>/settings/<uid>/<vm>.json}, so that a one-off
 * command's override and a refusal recorded once survive a wirtd restart: after a {@code stop}
 * file, a restarted wirtd does not start the VM again, and does not record the same refusal
 * again. The directory is root's (0700); nothing in it comes from a user but the VM name, which
 * is checked to be one.
 */
final class MemoryStore {
  private static final Logger log = LoggerFactory.getLogger(MemoryStore.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;
  /** What is known, by "uid/vm"; absent: not read from disk yet. */
  private final Map<String, Optional<Memory>> known = new HashMap<>();

  MemoryStore(Path stateDir) {
    this.dir = Objects.requireNonNull(stateDir, "stateDir").resolve("settings");
  }

  /** The memory of this content of the VM's file: empty if what is kept is of another content. */
  synchronized Memory of(int uid, String vm, String hash) {
    return load(uid, vm).filter(m -> m.hash().equals(hash)).orElse(Memory.empty(hash));
  }

  /** Changes the memory of this content, and keeps it. */
  synchronized Memory update(int uid, String vm, String hash, UnaryOperator<Memory> change) {
    Memory next = change.apply(of(uid, vm, hash));
    known.put(uid + "/" + vm, Optional.of(next));
    try {
      if (next.worthKeeping()) {
        write(uid, vm, next);
      } else {
        Files.deleteIfExists(file(uid, vm));
      }
    } catch (IOException e) {
      // Kept in memory still: only a restart would forget it.
      log.warn("cannot keep settings memory uid={} vm={}", uid, vm, e);
    }
    return next;
  }

  /** The VM has no settings.json (any more): what was kept of it goes. */
  synchronized void forget(int uid, String vm) {
    if (load(uid, vm).isEmpty()) {
      return;
    }
    known.put(uid + "/" + vm, Optional.empty());
    try {
      Files.deleteIfExists(file(uid, vm));
    } catch (IOException e) {
      log.warn("cannot remove settings memory uid={} vm={}", uid, vm, e);
    }
  }

  private Optional<Memory> load(int uid, String vm) {
    return known.computeIfAbsent(uid + "/" + vm, k -> read(uid, vm));
  }

  private Path file(int uid, String vm) {
    if (!Names.isVm(vm)) {
      throw new IllegalArgumentException("not a VM name: " + vm);
    }
    return dir.resolve(Integer.toUnsignedString(uid)).resolve(vm + ".json");
  }

  private Optional<Memory> read(int uid, String vm) {
    Path f = file(uid, vm);
    try {
      JsonNode n = JSON.readTree(Files.readAllBytes(f));
      return Optional.of(new Memory(n.path("hash").asText(), strings(n.path("overrides")),
          strings(n.path("refused")), n.path("problemReported").asBoolean()));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException | RuntimeException e) {
      log.warn("settings memory unreadable, starting afresh file={}", f, e);
      return Optional.empty();
    }
  }

  private static Map<String, String> strings(JsonNode n) {
    Map<String, String> m = new HashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      m.put(e.getKey(), e.getValue().asText());
    }
    return m;
  }

  private void write(int uid, String vm, Memory m) throws IOException {
    Path f = file(uid, vm);
    Files.createDirectories(f.getParent(),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    ObjectNode n = JSON.createObjectNode();
    n.put("hash", m.hash());
    n.set("overrides", JSON.valueToTree(m.overrides()));
    n.set("refused", JSON.valueToTree(m.refused()));
    n.put("problemReported", m.problemReported());
    Path tmp = f.resolveSibling("." + vm + ".json.tmp");
    Files.write(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n));
    Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
