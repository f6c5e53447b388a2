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

  private static final java.util.regex.Pattern PROGRESS =
      java.util.regex.Pattern.compile("\\((\\d{1,3})(?:\\.\\d+)?/100%\\)");

  /** Returns the whole percent in one line of {@code qemu-img -p} output, or -1. */
  static int percent(String line) {
    java.util.regex.Matcher m = PROGRESS.matcher(line);
    int found = -1;
    while (m.find()) {
      found = Math.min(100, Integer.parseInt(m.group(1)));
    }
    return found;
  }

  /**
   * Copies into {@code overlay} everything it reads from its backing file and drops the backing
   * file ({@code qemu-img rebase -b ''}, the safe mode), telling {@code progress} each new whole
   * percent.
   */
  static void flatten(Path overlay, java.util.function.IntConsumer progress) throws IOException {
    Process p = new ProcessBuilder(List.of("qemu-img", "rebase", "-p", "-f", "qcow2", "-b", "",
        overlay.toString())).redirectErrorStream(true).start();
    p.getOutputStream().close();
    StringBuilder all = new StringBuilder();
    StringBuilder line = new StringBuilder();
    int last = -1;
    java.io.InputStream in = p.getInputStream();
    for (int c = in.read(); c >= 0; c = in.read()) {
      // qemu-img redraws its progress on one line with carriage returns.
      if (c == '\r' || c == '\n') {
        int percent = percent(line.toString());
        if (percent > last) {
          last = percent;
          progress.accept(percent);
        }
        all.append(line).append('\n');
        line.setLength(0);
      } else {
        line.append((char) c);
      }
    }
    all.append(line);
    try {
      if (p.waitFor() != 0) {
        throw new IOException("qemu-img rebase of " + overlay + " failed: " + all.toString().strip());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroy();
      throw new IOException("interrupted while flattening " + overlay, e);
    }
  }

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
