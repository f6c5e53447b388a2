package org.wirt.provision;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * An image's JSON description ({@code <name>.json} beside it): its keys, their ranges and
 * defaults, and the messages that name the file and key when a value is out of them.
 */
final class ImageDescription {
  private static final Set<String> KEYS = Set.of("vcpus", "memoryMiB", "diskGiB",
      "osVariant", "cloudInit", "kernel", "initrd", "cmdline");

  private ImageDescription() {}

  /**
   * The image {@code name} at {@code file} as {@code root} describes it, its disk at least
   * {@code minDisk} GiB.
   *
   * @throws IllegalArgumentException naming {@code where} and the key that is unknown or out of range
   */
  static Image describe(String name, Path file, String format, JsonNode root,
      String where, long minDisk) {
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!KEYS.contains(key) && !key.equals("format")) {
        throw new IllegalArgumentException(where + ": unknown key '" + key + "'; known keys: "
            + String.join(", ", new TreeSet<>(KEYS)));
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

  static Optional<String> absolute(JsonNode root, String key, String where) {
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
