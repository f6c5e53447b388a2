package org.wirt.tree;

/** The type of a directory entry, from {@code statx} without following links. */
public enum EntryType {
  REGULAR("a regular file"),
  DIRECTORY("a directory"),
  SYMLINK("a symbolic link"),
  FIFO("a FIFO"),
  SOCKET("a socket"),
  CHAR_DEVICE("a character device"),
  BLOCK_DEVICE("a block device"),
  UNKNOWN("a file of unknown type");

  private final String phrase;

  EntryType(String phrase) {
    this.phrase = phrase;
  }

  /** The type as it reads in a message: "a symbolic link". */
  public String phrase() {
    return phrase;
  }
}
