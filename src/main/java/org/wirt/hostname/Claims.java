package org.wirt.hostname;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Who holds which host name: first come, first served across users. Kept in {@code
 * domains.json} in wirtd's root-only state directory, replaced atomically (a temporary file,
 * fsync, rename, fsync of the directory) at every change, so it survives a crash or restart as
 * the last change left it.
 *
 * <p>It also holds the commands taken but not yet recorded ({@link Taken}): a command is written
 * here before its file is removed, and dropped once its outcome is recorded, so that after a crash
 * each is recorded (SPEC 4, as the journal does for VM commands).
 */
public final class Claims {
  static final String FILE = "domains.json";
  private static final ObjectMapper JSON = JsonMapper.builder().build();

  /**
   * One held name.
   *
   * @param fqdn the full name, the registry's key
   * @param vm the VM it points at, or null until a {@code config} or {@code start} names one
   * @param wanted whether the user asked for it to be published ({@code start})
   * @param address the IPv4 address the network's DNS has for it now, or null
   * @param pending why it is wanted but not published, or null
   */
  public record Claim(String fqdn, String label, String user, int uid, String vm, boolean wanted,
      String address, String pending) {
    public Claim {
      Objects.requireNonNull(fqdn, "fqdn");
      Objects.requireNonNull(label, "label");
      Objects.requireNonNull(user, "user");
    }

    Claim withVm(String newVm) {
      return new Claim(fqdn, label, user, uid, newVm, wanted, address, pending);
    }

    Claim withWanted(boolean w) {
      return new Claim(fqdn, label, user, uid, vm, w, address, pending);
    }

    Claim withPublication(String newAddress, String why) {
      return new Claim(fqdn, label, user, uid, vm, wanted, newAddress, why);
    }
  }

  /**
   * A command taken from {@code command/domain/<label>/} whose outcome is not recorded yet.
   *
   * @param dev the device of the command file, to remove it after a crash only if unchanged
   * @param ino its inode
   */
  public record Taken(long id, String user, int uid, String label, String verb, String tag,
      String entry, long dev, long ino, String started, String result, String message) {}

  private final Path file;
  private final Map<String, Claim> claims = new TreeMap<>();
  private final Map<Long, Taken> taken = new TreeMap<>();
  private long nextId = 1;

  private Claims(Path file) {
    this.file = file;
  }

  /** Reads the registry of {@code stateDir}, or starts an empty one. */
  public static Claims open(Path stateDir) throws IOException {
    Claims c = new Claims(stateDir.resolve(FILE));
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(c.file);
    } catch (NoSuchFileException e) {
      return c;
    }
    JsonNode root;
    try {
      root = JSON.readTree(bytes);
    } catch (IOException e) {
      throw new IOException(c.file + " is not valid JSON (" + e.getMessage() + "); wirtd keeps"
          + " host name claims there; restore it or remove it to release every name", e);
    }
    for (JsonNode n : root.path("claims")) {
      Claim claim = new Claim(n.path("fqdn").asText(), n.path("label").asText(),
          n.path("user").asText(), n.path("uid").asInt(), text(n, "vm"), n.path("wanted")
              .asBoolean(), text(n, "address"), text(n, "pending"));
      c.claims.put(claim.fqdn(), claim);
    }
    for (JsonNode n : root.path("taken")) {
      Taken t = new Taken(n.path("id").asLong(), n.path("user").asText(), n.path("uid").asInt(),
          n.path("label").asText(), n.path("verb").asText(), text(n, "tag"),
          n.path("entry").asText(), n.path("dev").asLong(), n.path("ino").asLong(),
          n.path("started").asText(), n.path("result").asText(), n.path("message").asText());
      c.taken.put(t.id(), t);
      c.nextId = Math.max(c.nextId, t.id() + 1);
    }
    return c;
  }

  private static String text(JsonNode n, String key) {
    JsonNode v = n.get(key);
    return v == null || v.isNull() ? null : v.asText();
  }

  /** The claim of {@code fqdn}, if someone holds it. */
  public synchronized Optional<Claim> get(String fqdn) {
    return Optional.ofNullable(claims.get(fqdn));
  }

  /** Every claim, by name. */
  public synchronized List<Claim> all() {
    return List.copyOf(claims.values());
  }

  /** How many names the user (by name and uid, as VM ownership is) holds. */
  public synchronized int heldBy(String user, int uid) {
    return (int) claims.values().stream()
        .filter(c -> c.uid() == uid && c.user().equals(user)).count();
  }

  /** The commands taken whose outcome is not recorded (after a crash). */
  public synchronized List<Taken> unrecorded() {
    return List.copyOf(taken.values());
  }

  /**
   * Sets {@code fqdn}'s claim to {@code next} (null: releases it) and notes the command taken,
   * both in one atomic write.
   *
   * @return the taken command with its id
   */
  public synchronized Taken take(String fqdn, Claim next, Taken command) throws IOException {
    Taken t = new Taken(nextId, command.user(), command.uid(), command.label(), command.verb(),
        command.tag(), command.entry(), command.dev(), command.ino(), command.started(),
        command.result(), command.message());
    Claim before = claims.get(fqdn);
    put(fqdn, next);
    taken.put(t.id(), t);
    try {
      write();
    } catch (IOException e) {
      put(fqdn, before);
      taken.remove(t.id());
      throw e;
    }
    nextId++;
    return t;
  }

  /** Sets {@code fqdn}'s claim (null: releases it), written at once. */
  public synchronized void set(String fqdn, Claim next) throws IOException {
    Claim before = claims.get(fqdn);
    if (Objects.equals(before, next)) {
      return;
    }
    put(fqdn, next);
    try {
      write();
    } catch (IOException e) {
      put(fqdn, before);
      throw e;
    }
  }

  /** The command's outcome is recorded: it is dropped. */
  public synchronized void recorded(long id) throws IOException {
    if (taken.remove(id) != null) {
      write();
    }
  }

  private void put(String fqdn, Claim c) {
    if (c == null) {
      claims.remove(fqdn);
    } else {
      claims.put(fqdn, c);
    }
  }

  private void write() throws IOException {
    ObjectNode root = JSON.createObjectNode();
    root.put("version", 1);
    ArrayNode list = root.putArray("claims");
    for (Claim c : claims.values()) {
      ObjectNode n = list.addObject();
      n.put("fqdn", c.fqdn());
      n.put("label", c.label());
      n.put("user", c.user());
      n.put("uid", c.uid());
      n.put("vm", c.vm());
      n.put("wanted", c.wanted());
      n.put("address", c.address());
      n.put("pending", c.pending());
    }
    ArrayNode done = root.putArray("taken");
    for (Taken t : taken.values()) {
      done.add(JSON.valueToTree(t));
    }
    byte[] bytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
    Path dir = file.getParent();
    Path tmp = dir.resolve("." + FILE + ".tmp");
    Files.deleteIfExists(tmp);
    try (FileChannel ch = FileChannel.open(tmp, List.of(StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE).stream().collect(java.util.stream.Collectors.toSet()),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
      ByteBuffer buf = ByteBuffer.wrap(bytes);
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      ch.force(true);
    }
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    }
  }

  /** The claims of one user, for {@code wirt domain list} and the reconcile pass. */
  static List<Claim> of(Collection<Claim> all, String user, int uid) {
    List<Claim> mine = new ArrayList<>();
    for (Claim c : all) {
      if (c.uid() == uid && c.user().equals(user)) {
        mine.add(c);
      }
    }
    return mine;
  }
}
