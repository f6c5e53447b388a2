package org.wirt.console;

import org.wirt.command.CommandParser;
import org.wirt.command.Names;

/**
 * What a client asks for, its first line on the socket: {@code console <vm>} or {@code console
 * <vm> force}.
 */
record ConsoleRequest(String vm, boolean force) {

  /** A first line that is no request; the message says what would be accepted. */
  static final class Invalid extends Exception {
    private static final long serialVersionUID = 1L;

    Invalid(String message) {
      super(message);
    }
  }

  static ConsoleRequest parse(String line) throws Invalid {
    String[] words = line.split(" ", -1);
    boolean shape = words.length >= 2 && words.length <= 3 && words[0].equals("console")
        && (words.length == 2 || words[2].equals("force"));
    if (!shape) {
      throw new Invalid("the first line must be 'console <vm>' or 'console <vm> force'; found "
          + CommandParser.quote(line));
    }
    if (!Names.isVm(words[1])) {
      throw new Invalid(CommandParser.quote(words[1])
          + " is not a VM name; a VM name is " + Names.VM_RULE);
    }
    return new ConsoleRequest(words[1], words.length == 3);
  }

  /** The line a client sends for this request. */
  String line() {
    return "console " + vm + (force ? " force" : "") + "\n";
  }
}
