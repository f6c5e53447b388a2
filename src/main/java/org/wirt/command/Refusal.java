package org.wirt.command;

/**
 * A command entry is refused (SPEC 7). The message says what was wrong and what would be accepted;
 * it is shown to the user as it is, prefixed by the entry's place in the tree.
 */
public final class Refusal extends Exception {
  private static final long serialVersionUID = 1L;

  public Refusal(String message) {
    super(message);
  }
}
