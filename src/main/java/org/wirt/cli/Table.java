package org.wirt.cli;

import java.io.PrintWriter;
import java.util.List;

/** Left-aligned columns, two spaces apart: how the CLIs print a listing. */
public final class Table {
  private Table() {}

  /** Prints {@code rows}, the first being the header; the last column is not padded. */
  public static void print(PrintWriter out, List<String[]> rows) {
    int[] width = new int[rows.get(0).length];
    for (String[] r : rows) {
      for (int i = 0; i < r.length; i++) {
        width[i] = Math.max(width[i], r[i].length());
      }
    }
    for (String[] r : rows) {
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < r.length; i++) {
        b.append(i == r.length - 1 ? r[i] : String.format("%-" + width[i] + "s  ", r[i]));
      }
      out.println(b.toString().stripTrailing());
    }
  }
}
