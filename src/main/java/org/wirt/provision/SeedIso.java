package org.wirt.provision;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** A cloud-init NoCloud seed: an ISO 9660 image labelled {@code cidata} made with genisoimage. */
final class SeedIso {
  private SeedIso() {}

  /** Returns the {@code user-data} for this host name and keys. */
  static String userData(String hostname, List<String> keys) {
    StringBuilder out = new StringBuilder("#cloud-config\nhostname: ").append(hostname)
        .append("\npreserve_hostname: false\nssh_authorized_keys:\n");
    for (String key : keys) {
      // Keys are checked single lines of printable ASCII; quoting makes YAML take them as text.
      out.append("  - \"").append(key.replace("\\", "\\\\").replace("\"", "\\\"")).append("\"\n");
    }
    return out.toString();
  }

  /** Writes the seed to {@code target} (which must not exist). */
  static void write(Path target, String instanceId, String hostname, List<String> keys)
      throws IOException {
    Path work = Files.createTempDirectory("wirt-seed");
    try {
      Files.writeString(work.resolve("user-data"), userData(hostname, keys), StandardCharsets.UTF_8);
      Files.writeString(work.resolve("meta-data"), "instance-id: " + instanceId
          + "\nlocal-hostname: " + hostname + "\n", StandardCharsets.UTF_8);
      Process p = new ProcessBuilder(List.of("genisoimage", "-quiet", "-output", target.toString(),
          "-volid", "cidata", "-joliet", "-rock", work.resolve("user-data").toString(),
          work.resolve("meta-data").toString())).redirectErrorStream(true).start();
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (p.waitFor() != 0) {
        throw new IOException("genisoimage failed making " + target + ": " + out.strip()
            + "; is genisoimage installed?");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while making " + target, e);
    } finally {
      try (Stream<Path> files = Files.walk(work)) {
        for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(f);
        }
      }
    }
  }
}
