package org.wirt.tree;

/** The outcome of reading a command file safely. */
public sealed interface ReadResult {
  /** The file passed every check; these are its bytes. */
  record Content(byte[] bytes, FileFacts facts) implements ReadResult {}

  /** The file was not read: {@code problem} says why and what would be accepted. */
  record Refused(String problem) implements ReadResult {}
}
