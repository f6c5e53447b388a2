package org.wirt.provision;

import static org.wirt.posix.Fd.O_CLOEXEC;
import static org.wirt.posix.Fd.O_CREAT;
import static org.wirt.posix.Fd.O_EXCL;
import static org.wirt.posix.Fd.O_NOFOLLOW;
import static org.wirt.posix.Fd.O_WRONLY;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.config.ImagesConfig;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.Storage;
import org.wirt.posix.ErrnoException;
import org.wirt.posix.Fd;
import org.wirt.tree.CallerFiles;
import org.wirt.tree.Identity;
import org.wirt.tree.RootFiles;

/**
 * The golden images: read-only files in wirt's images pool, each with a JSON description beside
 * it ({@code <name>.json}). Only root writes there; users name an image in {@code create}.
 */
public final class ImageStore {
  private static final Logger log = LoggerFactory.getLogger(ImageStore.class);
  /** An image's name; no dots, so it never collides with its own file names. */
  public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");
  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION).build();
  private static final long GIB = 1L << 30;
  /** The most a description file may have. */
  static final int MAX_DESCRIPTION = 64 * 1024;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final ImagesConfig config;
  private final SourceOpened sourceOpened;

  public ImageStore(ImagesConfig config) {
    this(config, () -> { });
  }

  /** With a hook run once the source is open, before it is copied: for tests of that race. */
  ImageStore(ImagesConfig config, SourceOpened sourceOpened) {
    this.config = Objects.requireNonNull(config, "config");
    this.sourceOpened = Objects.requireNonNull(sourceOpened, "sourceOpened");
  }

  /** Runs between opening the source and copying it. */
  @FunctionalInterface
  interface SourceOpened {
    void run() throws IOException;
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
        log.warn("skipping image name={}", name, e);
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
    return Optional.of(ImageDescription.describe(name, file, format, root, description.toString(), 1));
  }

  /**
   * Copies {@code source} (qcow2 or raw, self-contained) into the images pool as {@code name},
   * read-only, with its description; defines, starts and autostarts the pool when missing.
   *
   * <p>The source and the description are read with {@code reader}'s identity (the admin who ran
   * wirtctl), each through one descriptor ({@link CallerFiles}). The copy goes to a temporary file
   * created with {@code O_EXCL} in the pool's directory, which only root may change
   * ({@link RootFiles}); its header and {@code qemu-img info} are checked on that copy, which
   * nobody else can change, and it is renamed into place without replacing anything. So a file
   * swapped, or a backing file added, after the check cannot reach the pool.
   *
   * @param description the admin's description file, or null for the defaults
   * @throws IllegalArgumentException naming what is wrong with the name, the file or the
   *     description
   */
  public Image importImage(String name, Identity reader, Path source, Path description,
      Storage storage) throws IOException, HypervisorException {
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("image name '" + name + "' is invalid: use letters, "
          + "digits, '_' and '-', up to 64, starting with a letter or digit");
    }
    if (find(name).isPresent()) {
      throw new IllegalArgumentException("image '" + name + "' exists already; remove it first "
          + "with `wirtctl image remove " + name + "` or choose another name");
    }
    JsonNode given = JSON.createObjectNode();
    if (description != null) {
      byte[] text = CallerFiles.read(reader, description, "a description", MAX_DESCRIPTION);
      try {
        given = JSON.readTree(text);
      } catch (JsonProcessingException e) {
        throw new IllegalArgumentException(description + ": not valid JSON: "
            + e.getOriginalMessage());
      }
    }
    if (given == null || !given.isObject()) {
      throw new IllegalArgumentException(description + ": must be a JSON object like "
          + "{\"vcpus\": 1, \"memoryMiB\": 1024, \"diskGiB\": 10, \"osVariant\": \"debian12\", "
          + "\"cloudInit\": true}");
    }
    String descriptionWhere = description == null ? "the description" : description.toString();
    for (String key : List.of("kernel", "initrd")) {
      Optional<String> boot = ImageDescription.absolute(given, key, descriptionWhere);
      if (boot.isPresent()) {
        checkBootFile(reader, key, boot.get(), descriptionWhere);
      }
    }
    try (Fd in = CallerFiles.open(reader, source, "an image")) {
      sourceOpened.run();
      // Before libvirt is asked to make the directory: its parent must be root's alone too.
      RootFiles.openDir(config.directory().getParent()).close();
      storage.ensureDirPool(config.pool(), config.directory());
      Files.createDirectories(config.directory());
      try (Fd dir = RootFiles.openDir(config.directory())) {
        return copyIn(name, in, source.toString(), dir, (ObjectNode) given, descriptionWhere,
            storage);
      }
    }
  }

  private Image copyIn(String name, Fd in, String where, Fd dir, ObjectNode given,
      String descriptionWhere, Storage storage) throws IOException, HypervisorException {
    String tempName = "." + name + "." + HexFormat.of().formatHex(random(8)) + ".import";
    Path temp = config.directory().resolve(tempName);
    byte[] rawTemp = tempName.getBytes(StandardCharsets.UTF_8);
    try {
      Image image;
      ObjectNode stored;
      try (Fd out = dir.openAt(rawTemp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
          0600, temp.toString())) {
        long size = in.stat().size();
        byte[] header = readHeader(in);
        out.writeAll(header);
        // The size when opened: a file the admin keeps writing to is not copied without end.
        out.copyFrom(in, Math.max(0, size - header.length));
        out.fsync();
        // Every check below reads the copy, which only root can change, not the admin's file.
        String format = ImageHeader.format(header, where);
        QemuImg.Info info = QemuImg.info(temp, format, where);
        long minDisk = Math.max(1, (info.virtualSize() + GIB - 1) / GIB);
        stored = given.deepCopy();
        stored.put("format", format);
        if (!stored.has("diskGiB")) {
          stored.put("diskGiB", minDisk);
        }
        image = ImageDescription.describe(name, config.directory().resolve(name + "." + format), format, stored,
            descriptionWhere, minDisk);
        out.chmod(0444);
      }
      placeNew(dir, rawTemp, image.file(), " exists without a description; move it away first");
      try {
        writeNew(dir, "." + name + ".json." + HexFormat.of().formatHex(random(8)) + ".import",
            config.directory().resolve(name + ".json"),
            JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(stored));
      } catch (IOException | RuntimeException e) {
        dir.unlinkAt(image.file().getFileName().toString().getBytes(StandardCharsets.UTF_8), 0,
            image.file().toString());
        throw e;
      }
      storage.refreshPool(config.pool());
      log.info("imported image name={} format={} file={}", name, image.format(), image.file());
      return image;
    } finally {
      unlinkIfThere(dir, rawTemp, temp.toString());
    }
  }

  /**
   * A kernel or initrd a description names is opened by libvirt as root (and handed to QEMU) for
   * every VM made from the image: the admin must be able to read it, and only root may change the
   * directories above it, so it cannot be replaced by a link to a secret later. Its owner is not
   * checked: while a VM boots from it, libvirt makes it QEMU's.
   */
  private static void checkBootFile(Identity reader, String key, String value, String where)
      throws IOException {
    Path path = Path.of(value);
    if (!path.normalize().equals(path)) {
      throw new IllegalArgumentException(where + ": '" + key + "' is \"" + value + "\"; it must "
          + "be a normalized absolute path");
    }
    try {
      CallerFiles.open(reader, path, "a " + key).close();
      RootFiles.openDir(path.getParent()).close();
    } catch (IOException e) {
      throw new IllegalArgumentException(where + ": '" + key + "': " + e.getMessage(), e);
    }
  }

  /** The first bytes of the image, which {@link ImageHeader} decides on. */
  private static byte[] readHeader(Fd in) throws IOException {
    byte[] header = new byte[ImageHeader.SIZE];
    int total = 0;
    for (int n; total < header.length && (n = in.read(header, total, header.length - total)) > 0; ) {
      total += n;
    }
    return Arrays.copyOf(header, total);
  }

  /** Writes {@code content} through an O_EXCL temporary, 0444, renamed onto a new name only. */
  private static void writeNew(Fd dir, String tempName, Path target, byte[] content)
      throws IOException {
    byte[] raw = tempName.getBytes(StandardCharsets.UTF_8);
    try {
      try (Fd out = dir.openAt(raw, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600,
          target + " (temporary)")) {
        out.writeAll(content);
        out.chmod(0444);
        out.fsync();
      }
      placeNew(dir, raw, target, " exists; move it away first");
    } finally {
      unlinkIfThere(dir, raw, target + " (temporary)");
    }
  }

  /** Renames {@code raw} onto {@code target}, never replacing what is there (a planted link). */
  private static void placeNew(Fd dir, byte[] raw, Path target, String exists) throws IOException {
    try {
      dir.renameAt(raw, dir, target.getFileName().toString().getBytes(StandardCharsets.UTF_8),
          Fd.RENAME_NOREPLACE, target.toString());
    } catch (ErrnoException e) {
      if (e.errno() == ErrnoException.EEXIST) {
        throw new FileAlreadyExistsException(target + exists);
      }
      throw e;
    }
  }

  private static void unlinkIfThere(Fd dir, byte[] raw, String where) throws IOException {
    try {
      dir.unlinkAt(raw, 0, where);
    } catch (ErrnoException e) {
      if (e.errno() != ErrnoException.ENOENT) {
        throw e;
      }
    }
  }

  private static byte[] random(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
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
}
