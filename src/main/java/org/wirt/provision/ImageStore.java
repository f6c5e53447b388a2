package org.wirt.provision;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.config.ImagesConfig;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.Storage;

/**
 * The golden images: read-only files in wirt's images pool, each with a JSON description beside
 * it ({@code <name>.json}). Only root writes there; users name an image in {@code create}.
 */
public final class ImageStore {
  private static final Logger log = LoggerFactory.getLogger(ImageStore.class);
  /** An image's name; no dots, so it never collides with its own file names. */
  public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");
  private static final Set<String> DESCRIPTION_KEYS = Set.of("vcpus", "memoryMiB", "diskGiB",
      "osVariant", "cloudInit", "kernel", "initrd", "cmdline");
  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION).build();
  private static final long GIB = 1L << 30;

  private final ImagesConfig config;

  public ImageStore(ImagesConfig config) {
    this.config = Objects.requireNonNull(config, "config");
  }

  public Path directory() {
    return config.directory();
  }

  /** Returns every image with a readable description, by name. */
  public List<Image> list() throws IOException {
    List<Image> images = new ArrayList<>();
    if (!Files.isDirectory(config.directory(), LinkOption.NOFOLLOW_LINKS)) {
      return images;
    }
    TreeSet<String> names = new TreeSet<>();
    try (Stream<Path> files = Files.list(config.directory())) {
      files.map(p -> p.getFileName().toString())
          .filter(f -> f.endsWith(".json"))
          .map(f -> f.substring(0, f.length() - ".json".length()))
          .filter(n -> NAME.matcher(n).matches())
          .forEach(names::add);
    }
    for (String name : names) {
      try {
        find(name).ifPresent(images::add);
      } catch (IOException e) {
        log.warn("skipping image name={}: {}", name, e.getMessage());
      }
    }
    return images;
  }

  /** Returns the image of this name, if its description and file exist. */
  public Optional<Image> find(String name) throws IOException {
    if (!NAME.matcher(name).matches()) {
      return Optional.empty();
    }
    Path description = config.directory().resolve(name + ".json");
    if (!Files.isRegularFile(description, LinkOption.NOFOLLOW_LINKS)) {
      return Optional.empty();
    }
    JsonNode root = JSON.readTree(Files.readString(description));
    String format = root.path("format").asText();
    Path file = config.directory().resolve(name + "." + format);
    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
      return Optional.empty();
    }
    return Optional.of(describe(name, file, format, root, description.toString(), 1));
  }

  /**
   * Copies {@code source} (qcow2 or raw, no backing file) into the images pool as {@code name},
   * read-only, with its description; defines, starts and autostarts the pool when missing.
   *
   * @param description the admin's description file, or null for the defaults
   * @throws IllegalArgumentException naming what is wrong with the name, the file or the
   *     description
   */
  public Image importImage(String name, Path source, Path description, Storage storage)
      throws IOException, HypervisorException {
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("image name '" + name + "' is invalid: use letters, "
          + "digits, '_' and '-', up to 64, starting with a letter or digit");
    }
    if (find(name).isPresent()) {
      throw new IllegalArgumentException("image '" + name + "' exists already; remove it first "
          + "with `wirtctl image remove " + name + "` or choose another name");
    }
    QemuImg.Info info = QemuImg.info(source);
    if (info.backingFile().isPresent()) {
      throw new IllegalArgumentException(source + " has a backing file ("
          + info.backingFile().get() + "); a golden image must stand alone: flatten it first "
          + "with `qemu-img convert -O qcow2 " + source + " flat.qcow2`");
    }
    JsonNode given = description == null ? JSON.createObjectNode()
        : JSON.readTree(Files.readString(description));
    if (!given.isObject()) {
      throw new IllegalArgumentException(description + ": must be a JSON object like "
          + "{\"vcpus\": 1, \"memoryMiB\": 1024, \"diskGiB\": 10, \"osVariant\": \"debian12\", "
          + "\"cloudInit\": true}");
    }
    long minDisk = Math.max(1, (info.virtualSize() + GIB - 1) / GIB);
    ObjectNode stored = ((ObjectNode) given).deepCopy();
    stored.put("format", info.format());
    if (!stored.has("diskGiB")) {
      stored.put("diskGiB", minDisk);
    }
    Image image = describe(name, config.directory().resolve(name + "." + info.format()),
        info.format(), stored, description == null ? "the description" : description.toString(),
        minDisk);
    storage.ensureDirPool(config.pool(), config.directory());
    Files.createDirectories(config.directory());
    Path temp = config.directory().resolve("." + name + ".import");
    Path descriptionFile = config.directory().resolve(name + ".json");
    try {
      Files.copy(source, temp, StandardCopyOption.REPLACE_EXISTING);
      Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("r--r--r--"));
      if (Files.exists(image.file(), LinkOption.NOFOLLOW_LINKS)) {
        throw new FileAlreadyExistsException(image.file() + " exists without a description; "
            + "move it away first");
      }
      Files.move(temp, image.file(), StandardCopyOption.ATOMIC_MOVE);
      Path tempDescription = config.directory().resolve("." + name + ".json.import");
      Files.write(tempDescription, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(stored));
      Files.setPosixFilePermissions(tempDescription, PosixFilePermissions.fromString("r--r--r--"));
      Files.move(tempDescription, descriptionFile, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("cannot rename within " + config.directory() + ": " + e.getMessage(), e);
    } finally {
      Files.deleteIfExists(temp);
    }
    storage.refreshPool(config.pool());
    log.info("imported image name={} format={} file={}", name, info.format(), image.file());
    return image;
  }

  /**
   * Removes the image and its description unless a VM's disk is an overlay on it.
   *
   * @throws IllegalStateException naming the VMs whose overlays use it
   */
  public void remove(String name, Storage storage) throws IOException, HypervisorException {
    Image image = find(name).orElseThrow(() -> new NoSuchFileException("no image '" + name
        + "' in " + config.directory() + "; `wirtctl image list` shows the images"));
    List<String> users = users(image, storage);
    if (!users.isEmpty()) {
      throw new IllegalStateException("image '" + name + "' is the backing file of "
          + String.join(", ", users) + "; delete those VMs or consolidate them first");
    }
    if (!storage.deleteVolume(image.file())) {
      Files.deleteIfExists(image.file());
    }
    Files.deleteIfExists(config.directory().resolve(name + ".json"));
    storage.refreshPool(config.pool());
    log.info("removed image name={}", name);
  }

  /** Returns the volumes in the VM pool (named after their domains) that are overlays on it. */
  public List<String> users(Image image, Storage storage) throws HypervisorException {
    List<String> users = new ArrayList<>();
    for (Storage.Volume v : storage.volumes(config.vmPool())) {
      if (v.backingFile().isPresent() && v.backingFile().get().equals(image.file())) {
        users.add(v.name());
      }
    }
    return users;
  }

  private static Image describe(String name, Path file, String format, JsonNode root,
      String where, long minDisk) {
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!DESCRIPTION_KEYS.contains(key) && !key.equals("format")) {
        throw new IllegalArgumentException(where + ": unknown key '" + key + "'; known keys: "
            + String.join(", ", new TreeSet<>(DESCRIPTION_KEYS)));
      }
    }
    int diskGiB = number(root, "diskGiB", (int) minDisk, (int) minDisk, 65536, where);
    return new Image(name, file, format,
        number(root, "vcpus", 1, 1, 256, where),
        number(root, "memoryMiB", 1024, 64, 4 * 1024 * 1024, where),
        diskGiB,
        root.path("osVariant").asText("generic"),
        bool(root, "cloudInit", true, where),
        absolute(root, "kernel", where).map(Path::of),
        absolute(root, "initrd", where).map(Path::of),
        Optional.ofNullable(root.get("cmdline")).map(JsonNode::asText));
  }

  private static int number(JsonNode root, String key, int fallback, int min, int max,
      String where) {
    JsonNode value = root.get(key);
    if (value == null) {
      return fallback;
    }
    if (!value.isIntegralNumber() || !value.canConvertToInt() || value.asInt() < min
        || value.asInt() > max) {
      throw new IllegalArgumentException(where + ": '" + key + "' is " + value
          + "; it must be a whole number from " + min + " to " + max);
    }
    return value.asInt();
  }

  private static boolean bool(JsonNode root, String key, boolean fallback, String where) {
    JsonNode value = root.get(key);
    if (value == null) {
      return fallback;
    }
    if (!value.isBoolean()) {
      throw new IllegalArgumentException(where + ": '" + key + "' is " + value
          + "; it must be true or false");
    }
    return value.asBoolean();
  }

  private static Optional<String> absolute(JsonNode root, String key, String where) {
    JsonNode value = root.get(key);
    if (value == null) {
      return Optional.empty();
    }
    if (!value.isTextual() || !value.asText().startsWith("/")) {
      throw new IllegalArgumentException(where + ": '" + key + "' is " + value
          + "; it must be an absolute path");
    }
    return Optional.of(value.asText());
  }
}
