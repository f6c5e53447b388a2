package org.wirt.tree;

import org.wirt.text.SafeText;

/** Strict UTF-8 decoding of single code points, for names that may be any bytes. */
final class Utf8 {
  private Utf8() {}

  /** The length of the valid UTF-8 sequence at {@code i}, or 0 if the bytes there are not one. */
  static int sequenceLength(byte[] b, int i) {
    int lead = b[i] & 0xff;
    int len;
    int min;
    if (lead < 0x80) {
      return 1;
    } else if (lead >= 0xc2 && lead <= 0xdf) {
      len = 2;
      min = 0x80;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      len = 3;
      min = 0x800;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      len = 4;
      min = 0x10000;
    } else {
      return 0;
    }
    if (i + len > b.length) {
      return 0;
    }
    for (int k = 1; k < len; k++) {
      if ((b[i + k] & 0xc0) != 0x80) {
        return 0;
      }
    }
    int cp = codePoint(b, i, len);
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return 0;
    }
    return len;
  }

  static int codePoint(byte[] b, int i, int len) {
    if (len == 1) {
      return b[i] & 0xff;
    }
    int cp = b[i] & (0xff >> (len + 1));
    for (int k = 1; k < len; k++) {
      cp = (cp << 6) | (b[i + k] & 0x3f);
    }
    return cp;
  }

  /** Control characters, line/paragraph separators and invisible format characters (bidi overrides). */
  static boolean isUnsafe(int cp) {
    return SafeText.isUnsafe(cp);
  }

  static void escape(StringBuilder out, byte b) {
    SafeText.appendByte(out, b);
  }
}
