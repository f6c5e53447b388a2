package org.wirt.tree;

import java.io.IOException;

/** A link or a non-directory sits where the tree needs a directory; it was not followed. */
final class NotADirectoryException extends IOException {
  private static final long serialVersionUID = 1L;

  NotADirectoryException(String message, Throwable cause) {
    super(message, cause);
  }
}
