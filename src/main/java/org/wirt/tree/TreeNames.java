package org.wirt.tree;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Names in a user's tree: those wirtd is given, checked to be single components, and those it
 * invents, escaped.
 */
final class TreeNames {
  private static final int MAX_ESCAPED = 180;

  private TreeNames() {}

  /** A single path component given by wirtd: not empty, no '/', no NUL, not '.' or '..'. */
  static String component(String name, String what) {
    if (name == null || name.isEmpty() || name.equals(".") || name.equals("..")
        || name.indexOf('/') >= 0 || name.indexOf('\0') >= 0) {
      throw new IllegalArgumentException(what + " '" + name + "' is not a single file name");
    }
    return name;
  }

  /** A name read from a user tree: any bytes but '/' and NUL, and not '.' or '..'. */
  static byte[] entry(EntryName name) {
    byte[] raw = name.raw();
    boolean dots = Arrays.equals(raw, new byte[] {'.'}) || Arrays.equals(raw, new byte[] {'.', '.'});
    if (raw.length == 0 || dots) {
      throw new IllegalArgumentException("'" + name.display() + "' is not a single file name");
    }
    for (byte b : raw) {
      if (b == '/' || b == 0) {
        throw new IllegalArgumentException("'" + name.display() + "' is not a single file name");
      }
    }
    return raw;
  }

  /** {@code info/vm/web/status.json} → its validated components. */
  static List<String> relative(String path) {
    if (path == null || path.isEmpty()) {
      throw new IllegalArgumentException("empty path in the tree");
    }
    List<String> parts = Arrays.asList(path.split("/", -1));
    parts.forEach(p -> component(p, "path component of '" + path + "'"));
    return parts;
  }

  static byte[] bytes(String name) {
    return name.getBytes(StandardCharsets.UTF_8);
  }

  /** Writes in progress: names starting with '.' or ending with '~', '.tmp' or '.swp' (SPEC 2). */
  static boolean ignored(EntryName name) {
    return name.startsWith(".") || name.endsWith("~") || name.endsWith(".tmp") || name.endsWith(".swp");
  }

  /**
   * The name of the desired-settings file a user may keep in {@code command/vm/<vm>/}: read, never
   * taken as a command, never moved to {@code rejected/}.
   */
  static final String SETTINGS = "settings.json";

  /** Names of a VM's command directory that are not commands: writes in progress and {@link #SETTINGS}. */
  static boolean notACommand(EntryName name) {
    return ignored(name) || name.text().filter(SETTINGS::equals).isPresent();
  }

  /**
   * {@code raw} with every byte outside {@code [A-Za-z0-9._-]}, and a leading '.', written as
   * {@code %XX}, cut to a length that leaves room in NAME_MAX for a prefix and a timestamp.
   */
  static String escape(byte[] raw) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < raw.length && out.length() < MAX_ESCAPED; i++) {
      int b = raw[i] & 0xff;
      boolean safe = (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9')
          || b == '-' || b == '_' || (b == '.' && i > 0);
      if (safe) {
        out.append((char) b);
      } else {
        out.append('%').append(String.format("%02X", b));
      }
    }
    return out.toString();
  }
}
