package org.wirt.text;

import java.util.Objects;

/** The one check of a record's compact constructor that its required components are there. */
public final class Fields {
  private Fields() {}

  /**
   * Throws {@link NullPointerException} naming the first of {@code values} that is null; {@code
   * names} holds their names, space-separated and in the same order: {@code
   * Fields.requireNonNull("time user vm", time, user, vm)}.
   */
  public static void requireNonNull(String names, Object... values) {
    String[] split = names.split(" ");
    if (split.length != values.length) {
      throw new IllegalArgumentException(split.length + " names for " + values.length + " values: " + names);
    }
    for (int i = 0; i < values.length; i++) {
      Objects.requireNonNull(values[i], split[i]);
    }
  }
}
