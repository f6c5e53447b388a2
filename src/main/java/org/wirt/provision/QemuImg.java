package org.wirt.provision;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/** Asks {@code qemu-img info} what an image file is. */
final class QemuImg {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** What {@code qemu-img info} says about a file. */
  record Info(String format, long virtualSize) {}

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
    ProcessBuilder pb = new ProcessBuilder(List.of("qemu-img", "rebase", "-p", "-f", "qcow2",
        "-b", "", overlay.toString())).redirectErrorStream(true);
    cleanEnvironment(pb);
    Process p = pb.start();
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

  /**
   * Reads what {@code file} is as {@code format}, which the caller decided from the header
   * ({@link ImageHeader}): {@code -f} keeps qemu-img from probing, so a file that only looks like
   * another format (a VMDK descriptor naming extents anywhere) is never interpreted as one.
   * Refuses what is not self-contained: a backing file, an external data file, any child node
   * but the file itself.
   *
   * @param where the file as the admin named it, for messages
   */
  static Info info(Path file, String format, String where) throws IOException {
    // -U: reading the header needs no lock; a running VM's image may be inspected too.
    ProcessBuilder pb = new ProcessBuilder(List.of("qemu-img", "info", "-U", "-f", format,
        "--output=json", file.toString())).redirectErrorStream(true);
    cleanEnvironment(pb);
    Process p = pb.start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readNBytes(1 << 20), StandardCharsets.UTF_8);
    try {
      if (p.waitFor() != 0) {
        throw new IllegalArgumentException(where + " is not a " + format + " image qemu-img can "
            + "read: " + out.strip().replace(file.toString(), where));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroy();
      throw new IOException("interrupted while running qemu-img", e);
    }
    JsonNode root = JSON.readTree(out);
    if (!root.path("format").asText().equals(format)) {
      throw new IllegalArgumentException(where + " reads as " + root.path("format").asText()
          + ", not " + format + "; wirt takes qcow2 or raw");
    }
    for (String key : List.of("backing-filename", "full-backing-filename", "backing-filename-format")) {
      if (root.has(key)) {
        throw new IllegalArgumentException(where + " has a backing file (" + root.path(key).asText()
            + "); " + SELF_CONTAINED);
      }
    }
    JsonNode data = root.path("format-specific").path("data");
    if (data.has("data-file") || data.has("data-file-raw")) {
      throw new IllegalArgumentException(where + " has an external data file ("
          + data.path("data-file").asText() + "); " + SELF_CONTAINED);
    }
    for (JsonNode child : root.path("children")) {
      if (!child.path("name").asText().equals("file")) {
        throw new IllegalArgumentException(where + " refers to another file ("
            + child.path("name").asText() + "); " + SELF_CONTAINED);
      }
    }
    return new Info(format, root.path("virtual-size").asLong());
  }

  /** What a golden image must be, and how to make one. */
  static final String SELF_CONTAINED = "a golden image must be one self-contained qcow2 or raw "
      + "file: flatten it first with `qemu-img convert -O qcow2 FILE flat.qcow2`";

  /** qemu-img runs with a fixed environment, whoever started wirt. */
  private static void cleanEnvironment(ProcessBuilder pb) {
    pb.environment().clear();
    pb.environment().put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
    pb.environment().put("LC_ALL", "C");
  }
}
