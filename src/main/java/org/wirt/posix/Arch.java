package org.wirt.posix;

import java.util.Locale;

/**
 * The constants that differ between the architectures wirt supports. Everything else used here
 * (errno values, AT_* flags, struct statx, struct inotify_event, linux_dirent64) is the same on
 * x86_64 and aarch64.
 */
enum Arch {
  X86_64(0200000, 0400000, 116),
  AARCH64(040000, 0100000, 159);

  final int oDirectory;
  final int oNofollow;
  final long sysSetgroups;

  Arch(int oDirectory, int oNofollow, long sysSetgroups) {
    this.oDirectory = oDirectory;
    this.oNofollow = oNofollow;
    this.sysSetgroups = sysSetgroups;
  }

  static final Arch CURRENT = detect(System.getProperty("os.name"), System.getProperty("os.arch"));

  static Arch detect(String os, String arch) {
    if (!"Linux".equals(os)) {
      throw new UnsupportedOperationException("wirt runs only on Linux, not on " + os);
    }
    return switch (arch.toLowerCase(Locale.ROOT)) {
      case "amd64", "x86_64" -> X86_64;
      case "aarch64", "arm64" -> AARCH64;
      default -> throw new UnsupportedOperationException(
          "wirt supports x86_64 and aarch64, not " + arch + "; the open flags and syscall numbers"
              + " of other architectures are not known to it");
    };
  }
}
