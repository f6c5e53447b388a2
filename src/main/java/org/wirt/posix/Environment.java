package org.wirt.posix;

import java.io.IOException;

/**
 * The C environment of this process ({@code environ}), which native libraries such as libvirt
 * read with {@code getenv}, and which a child process inherits unless its {@link ProcessBuilder}
 * environment was changed. Java's {@link System#getenv()} is a copy taken at start: it does not
 * see these changes.
 */
public final class Environment {
  private Environment() {}

  /** Removes {@code name} from the C environment. */
  public static void unset(String name) throws IOException {
    if (Libc.unsetenv(name) != 0) {
      throw Errno.fail("unsetenv", name);
    }
  }

  /** Sets {@code name} to {@code value} in the C environment, replacing any value. */
  public static void set(String name, String value) throws IOException {
    if (Libc.setenv(name, value, 1) != 0) {
      throw Errno.fail("setenv", name);
    }
  }
}
