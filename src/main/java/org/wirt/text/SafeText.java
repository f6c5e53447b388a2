package org.wirt.text;

/**
 * The one rule for text that came from a user and is written where a person reads it (history
 * and VM logs, results, status.json, mail, wirtd's own log): no code point that can break a line
 * or hide or reorder what follows. That is C0 and C1 controls and DEL, the Unicode line and
 * paragraph separators (U+2028, U+2029), and format characters: bidi embeddings, overrides and
 * isolates (U+202A–U+202E, U+2066–U+2069), marks (U+200E, U+200F), zero-width characters and the
 * byte-order mark. Each is written as {@code \xNN} per UTF-8 byte, as names from a tree are.
 */
public final class SafeText {
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private SafeText() {}

  /** Whether {@code codePoint} must not reach a reader as it is. */
  public static boolean isUnsafe(int codePoint) {
    int type = Character.getType(codePoint);
    return Character.isISOControl(codePoint)
        || type == Character.LINE_SEPARATOR
        || type == Character.PARAGRAPH_SEPARATOR
        || type == Character.FORMAT
        || type == Character.SURROGATE;
  }

  /**
   * Returns {@code text} with every unsafe code point written as {@code \xNN} per UTF-8 byte; the
   * same string when there is none. Escaping twice changes nothing more ({@code \x} is safe).
   */
  public static String escape(String text) {
    if (text == null) {
      return null;
    }
    int first = firstUnsafe(text);
    if (first < 0) {
      return text;
    }
    StringBuilder out = new StringBuilder(text.length() + 16).append(text, 0, first);
    text.codePoints().skip(text.codePointCount(0, first)).forEach(cp -> {
      if (isUnsafe(cp)) {
        appendEscaped(out, cp);
      } else {
        out.appendCodePoint(cp);
      }
    });
    return out.toString();
  }

  /** Returns {@code text} with every unsafe code point replaced by a space (for mail headers). */
  public static String blank(String text) {
    StringBuilder out = new StringBuilder(text.length());
    text.codePoints().forEach(cp -> out.appendCodePoint(isUnsafe(cp) ? ' ' : cp));
    return out.toString();
  }

  /** Writes {@code codePoint} as {@code \xNN} per UTF-8 byte (a lone surrogate as U+FFFD's). */
  public static void appendEscaped(StringBuilder out, int codePoint) {
    int cp = Character.getType(codePoint) == Character.SURROGATE ? 0xfffd : codePoint;
    byte[] utf8 = new String(Character.toChars(cp)).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    for (byte b : utf8) {
      appendByte(out, b);
    }
  }

  /** Writes one byte as {@code \xNN}. */
  public static void appendByte(StringBuilder out, byte b) {
    out.append("\\x").append(HEX[(b >> 4) & 0xf]).append(HEX[b & 0xf]);
  }

  private static int firstUnsafe(String text) {
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      if (isUnsafe(cp)) {
        return i;
      }
      i += Character.charCount(cp);
    }
    return -1;
  }
}
