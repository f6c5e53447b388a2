package org.wirt.provision;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** Asks {@code qemu-img info} what an image file is. */
final class QemuImg {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** What {@code qemu-img info} says about a file. */
  record Info(String format, long virtualSize, Optional<String> backingFile) {}

  private QemuImg() {}

  static Info info(Path file) throws IOException {
    // -U: reading the header needs no lock; a running VM's image may be inspected too.
    Process p = new ProcessBuilder(List.of("qemu-img", "info", "-U", "--output=json", file.toString()))
        .redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (p.waitFor() != 0) {
        throw new IllegalArgumentException(file + " is not an image qemu-img can read: "
            + out.strip());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running qemu-img", e);
    }
    JsonNode root = JSON.readTree(out);
    String format = root.path("format").asText();
    if (!format.equals("qcow2") && !format.equals("raw")) {
      throw new IllegalArgumentException(file + " is a " + format + " image; wirt takes qcow2 or "
          + "raw (convert with `qemu-img convert -O qcow2`)");
    }
    JsonNode backing = root.get("backing-filename");
    return new Info(format, root.path("virtual-size").asLong(),
        backing == null ? Optional.empty() : Optional.of(backing.asText()));
  }
}
