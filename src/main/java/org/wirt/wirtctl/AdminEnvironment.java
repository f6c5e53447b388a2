package org.wirt.wirtctl;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.wirt.posix.Environment;

/**
 * The environment of a restricted wirtctl (run through sudo), which is its caller's: nothing in it
 * may change what runs as root (SPEC 8). sudo's {@code env_reset} already drops most of it and
 * the installed {@code /usr/sbin/wirtctl} starts Java with a fixed one; wirtctl does not rely on
 * either.
 *
 * <p>Variables that load code before wirtctl's first line ({@code LD_*}, {@code JAVA_TOOL_OPTIONS}
 * and the like) are refused: wirtctl cannot undo them. Every other variable but a few harmless
 * ones is removed from the C environment before libvirt, GnuTLS or ssh could read it ({@code
 * LIBVIRT_DEFAULT_URI}, {@code LIBVIRT_LOG_OUTPUTS}, which makes libvirt write a file as root,
 * {@code SSLKEYLOGFILE}, {@code XDG_*}, ...), and {@code PATH} is set to the system's.
 */
final class AdminEnvironment {
  static final String PATH = "/usr/sbin:/usr/bin:/sbin:/bin";
  private static final Set<String> KEPT = Set.of("SUDO_UID", "SUDO_GID", "SUDO_USER",
      "SUDO_COMMAND", "LANG", "LC_ALL", "TERM", "PATH");
  private static final Set<String> LOADERS = Set.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS",
      "_JAVA_OPTIONS");

  private AdminEnvironment() {}

  /**
   * Makes JNA unpack its native part under root's home, not under {@code $XDG_CACHE_HOME}, which
   * the caller chooses; called before any native code is loaded.
   */
  static void beforeNative() {
    if (System.getProperty("jna.tmpdir") == null) {
      System.setProperty("jna.tmpdir", System.getProperty("user.home") + "/.cache/JNA/temp");
    }
  }

  /** Why wirtctl must not run with this environment, or empty. */
  static Optional<String> refusal(Map<String, String> env) {
    TreeSet<String> loaders = new TreeSet<>();
    for (String name : env.keySet()) {
      if (name.startsWith("LD_") || LOADERS.contains(name)) {
        loaders.add(name);
      }
    }
    if (loaders.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(String.join(", ", loaders) + (loaders.size() == 1 ? " is" : " are")
        + " set: run through sudo, wirtctl takes no loader or Java settings from its caller; "
        + "run /usr/sbin/wirtctl, which starts Java with a clean environment");
  }

  /** Removes from the C environment every variable but the kept ones; returns their names. */
  static List<String> scrub(Map<String, String> env) throws IOException {
    TreeSet<String> removed = new TreeSet<>();
    for (String name : env.keySet()) {
      if (!KEPT.contains(name)) {
        Environment.unset(name);
        removed.add(name);
      }
    }
    Environment.set("PATH", PATH);
    return List.copyOf(removed);
  }
}
