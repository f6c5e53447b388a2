package org.wirt.command;

import java.util.regex.Pattern;

/** The name rules of the tree (SPEC 2). */
public final class Names {
  private static final Pattern VM = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,47}");
  private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  /** What a valid VM name looks like, for messages. */
  public static final String VM_RULE =
      "a letter or digit followed by up to 47 letters, digits, '_' or '-'";

  /** What a valid tag looks like, for messages. */
  public static final String TAG_RULE = "1 to 64 letters, digits, '_' or '-'";

  private Names() {}

  public static boolean isVm(String name) {
    return name != null && VM.matcher(name).matches();
  }

  public static boolean isTag(String tag) {
    return tag != null && TAG.matcher(tag).matches();
  }

  /**
   * Returns true for entries that are writes in progress and must be left alone: names starting
   * with '.' or ending with '~', '.tmp' or '.swp'.
   */
  public static boolean isIgnored(String name) {
    return name.startsWith(".") || name.endsWith("~") || name.endsWith(".tmp")
        || name.endsWith(".swp");
  }
}
