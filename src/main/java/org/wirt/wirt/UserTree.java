package org.wirt.wirt;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.wirt.cli.Json;
import org.wirt.command.Names;

/**
 * The user's own {@code ~/wirt}, as {@code wirt} sees it: plain file access with the user's own
 * rights (this runs as the user, not as root).
 */
final class UserTree {

  private final Path root;
  private final Clock clock;

  UserTree(Path root, Clock clock) {
    this.root = Objects.requireNonNull(root, "root");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  Path root() {
    return root;
  }

  /** What {@code info/wirtd.json} says about the daemon. */
  sealed interface Daemon {
    /** wirtd serves this tree. */
    record Serving(boolean draining) implements Daemon {}

    /** wirtd does not serve it (now); {@code why} says what was found. */
    record Down(String why) implements Daemon {}
  }

  Daemon daemon() {
    Path file = root.resolve("info/wirtd.json");
    JsonNode beat;
    Instant last;
    try {
      // Read the time first: a beat between the two reads only makes it look older.
      last = Files.getLastModifiedTime(file).toInstant();
      beat = Json.MAPPER.readTree(Files.readString(file, StandardCharsets.UTF_8));
    } catch (NoSuchFileException e) {
      return new Daemon.Down("wirtd has not served " + root + " yet (there is no " + file
          + "); is wirtd running, and are you a member of its group?");
    } catch (IOException e) {
      return new Daemon.Down("cannot read " + file + ": " + e.getMessage());
    }
    if (beat == null || !beat.path("running").isBoolean()) {
      return new Daemon.Down(file + " does not hold a heartbeat");
    }
    if (!beat.path("running").asBoolean()) {
      return new Daemon.Down("wirtd is stopped (it stopped at " + last + ")");
    }
    Duration age = Duration.between(last, clock.instant());
    if (age.toSeconds() > beat.path("staleAfterSeconds").asLong(155)) {
      return new Daemon.Down("wirtd seems to be down: its last heartbeat in " + file + " was "
          + age.toSeconds() + " s ago (at " + last + ")");
    }
    return new Daemon.Serving(beat.path("draining").asBoolean());
  }

  /** The VMs the user has: directories under command/vm and info/vm, in name order. */
  List<String> vms() throws IOException {
    TreeSet<String> vms = new TreeSet<>();
    for (String dir : List.of("command/vm", "info/vm")) {
      Path d = root.resolve(dir);
      if (!Files.isDirectory(d)) {
        continue;
      }
      try (Stream<Path> s = Files.list(d)) {
        s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).filter(Names::isVm)
            .forEach(vms::add);
      }
    }
    return new ArrayList<>(vms);
  }

  Optional<JsonNode> status(String vm) throws IOException {
    return json(root.resolve("info/vm/" + vm + "/status.json"));
  }

  /** The VM's {@code metrics.json}, which wirtd writes while it runs. */
  Optional<JsonNode> metrics(String vm) throws IOException {
    return json(root.resolve("info/vm/" + vm + "/metrics.json"));
  }

  Optional<JsonNode> json(Path file) throws IOException {
    try {
      return Optional.ofNullable(Json.MAPPER.readTree(Files.readString(file, StandardCharsets.UTF_8)));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  Path commandDir(String vm) {
    return root.resolve("command/vm/" + vm);
  }

  Path resultsDir(String vm) {
    return root.resolve("info/vm/" + vm + "/results");
  }

  /** A tag no earlier command of this user has: the time and 32 random bits. */
  String freshTag() {
    return "w" + Tags.TIME.format(clock.instant()) + "-"
        + Integer.toHexString(Tags.random() | 0x10000000);
  }

  /** Made by the first command that sends one: {@code wirt list} needs neither. */
  private static final class Tags {
    static final DateTimeFormatter TIME =
        DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss").withZone(ZoneOffset.UTC);
    private static final Path URANDOM = Path.of("/dev/urandom");

    /**
     * 32 bits from the kernel's random source, read directly: what SecureRandom's default reads
     * here, without starting the JDK's security providers (tens of milliseconds of a command's
     * start-up). SecureRandom where there is no /dev/urandom.
     */
    static int random() {
      try (InputStream in = Files.newInputStream(URANDOM)) {
        byte[] b = in.readNBytes(4);
        if (b.length == 4) {
          return ByteBuffer.wrap(b).getInt();
        }
      } catch (IOException e) {
        // Below.
      }
      return new SecureRandom().nextInt();
    }
  }

  /**
   * Queues a command the atomic way of SPEC 2: written to a dot-named temporary file, which wirtd
   * ignores, and renamed to {@code <verb>.<tag>}.
   *
   * @return the command file's path
   */
  Path queue(String vm, String verb, String tag, String content) throws IOException {
    Path dir = commandDir(vm);
    Path temp = dir.resolve("." + verb + "." + tag + ".tmp");
    Path target = dir.resolve(verb + "." + tag);
    Files.writeString(temp, content, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE);
    try {
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      Files.deleteIfExists(temp);
      throw e;
    }
    return target;
  }

  /**
   * Queues a host name command ({@code command/domain/<name>/<verb>.<tag>}) as {@link #queue}
   * does, making the name's directory if needed.
   */
  Path queueDomain(String name, String verb, String tag, String content) throws IOException {
    Path dir = root.resolve("command/domain/" + name);
    Files.createDirectories(dir);
    Path temp = dir.resolve("." + verb + "." + tag + ".tmp");
    Path target = dir.resolve(verb + "." + tag);
    Files.writeString(temp, content, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE);
    try {
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      Files.deleteIfExists(temp);
      throw e;
    }
    return target;
  }

  /** The last {@code n} lines of a file in the tree, or none if it does not exist. */
  List<String> tail(String relative, int n) throws IOException {
    Path file = root.resolve(relative);
    if (!Files.exists(file)) {
      return List.of();
    }
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    return lines.subList(Math.max(0, lines.size() - n), lines.size());
  }
}
