package org.wirt.tree;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;

/**
 * A file name as read from a directory in a user's tree: the raw bytes, which may be anything but
 * '/' and NUL, including newlines and invalid UTF-8.
 */
public record EntryName(byte[] raw) {
  public EntryName {
    raw = raw.clone();
  }

  @Override
  public byte[] raw() {
    return raw.clone();
  }

  /** The name as text if it is valid UTF-8 without control characters; empty otherwise. */
  public Optional<String> text() {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < raw.length; ) {
      int len = Utf8.sequenceLength(raw, i);
      if (len == 0 || Utf8.isUnsafe(Utf8.codePoint(raw, i, len))) {
        return Optional.empty();
      }
      out.appendCodePoint(Utf8.codePoint(raw, i, len));
      i += len;
    }
    return Optional.of(out.toString());
  }

  /**
   * The name made safe for logs, mail and JSON: control characters (including Unicode line
   * separators and format characters such as bidi overrides), invalid UTF-8 and the backslash are
   * written as {@code \xNN} per byte.
   */
  public String display() {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < raw.length; ) {
      int len = Utf8.sequenceLength(raw, i);
      if (len == 0) {
        Utf8.escape(out, raw[i]);
        i++;
        continue;
      }
      int cp = Utf8.codePoint(raw, i, len);
      if (cp == '\\' || Utf8.isUnsafe(cp)) {
        for (int k = 0; k < len; k++) {
          Utf8.escape(out, raw[i + k]);
        }
      } else {
        out.appendCodePoint(cp);
      }
      i += len;
    }
    return out.toString();
  }

  /** The name whose bytes are {@code name} in UTF-8. */
  public static EntryName of(String name) {
    return new EntryName(name.getBytes(StandardCharsets.UTF_8));
  }

  /** Whether the name starts with {@code prefix} (compared as UTF-8 bytes). */
  boolean startsWith(String prefix) {
    byte[] p = prefix.getBytes(StandardCharsets.UTF_8);
    return raw.length >= p.length && Arrays.equals(raw, 0, p.length, p, 0, p.length);
  }

  /** Whether the name ends with {@code suffix} (compared as UTF-8 bytes). */
  boolean endsWith(String suffix) {
    byte[] s = suffix.getBytes(StandardCharsets.UTF_8);
    return raw.length >= s.length && Arrays.equals(raw, raw.length - s.length, raw.length, s, 0, s.length);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof EntryName other && Arrays.equals(raw, other.raw);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(raw);
  }

  @Override
  public String toString() {
    return display();
  }
}
