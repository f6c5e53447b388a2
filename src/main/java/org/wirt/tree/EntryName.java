package org.wirt.tree;

import java.util.Optional;

/**
 * A file name as read from a directory in a user's tree: the raw bytes, which may be anything but
 * '/' and NUL, including newlines and invalid UTF-8.
 *
 * <p>SKELETON: implemented by the tree helper.
 */
public record EntryName(byte[] raw) {
  /** The name as text if it is valid UTF-8 without control characters; empty otherwise. */
  public Optional<String> text() {
    throw new UnsupportedOperationException();
  }

  /** The name made safe for logs, mail and JSON: control bytes and invalid UTF-8 as \xNN. */
  public String display() {
    throw new UnsupportedOperationException();
  }

  public static EntryName of(String name) {
    throw new UnsupportedOperationException();
  }
}
