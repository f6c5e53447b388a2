package org.wirt.provision;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * A golden image and its description: the defaults of VMs made from it.
 *
 * @param file the read-only image file in the images pool
 * @param format {@code qcow2} or {@code raw}
 * @param kernel for direct kernel boot (with {@code initrd} and {@code cmdline}), admins only
 */
public record Image(String name, Path file, String format, int vcpus, int memoryMiB, int diskGiB,
    String osVariant, boolean cloudInit, Optional<Path> kernel, Optional<Path> initrd,
    Optional<String> cmdline) {

  public Image {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(file, "file");
    if (!format.equals("qcow2") && !format.equals("raw")) {
      throw new IllegalArgumentException("format must be qcow2 or raw, not " + format);
    }
    Objects.requireNonNull(osVariant, "osVariant");
    Objects.requireNonNull(kernel, "kernel");
    Objects.requireNonNull(initrd, "initrd");
    Objects.requireNonNull(cmdline, "cmdline");
  }
}
