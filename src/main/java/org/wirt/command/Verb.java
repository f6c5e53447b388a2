package org.wirt.command;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/** The verbs of SPEC 5, as they are spelled in a command file's name. */
public enum Verb {
  START, STOP, DESTROY, REBOOT, RESET, SUSPEND, RESUME, AUTOSTART, STATUS,
  CREATE, DELETE, CONFIG, SNAPSHOT, REVERT, SNAPSHOT_DELETE, CONSOLIDATE;

  /** The verb as written in a file name, e.g. {@code snapshot-delete}. */
  public String fileName() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /**
   * Whether the verb changes no more than a VM's state and autostart flag, which its status shows;
   * the others may change its definition, disks or snapshots.
   */
  public boolean changesOnlyState() {
    return switch (this) {
      case START, STOP, DESTROY, REBOOT, RESET, SUSPEND, RESUME, AUTOSTART, STATUS -> true;
      case CREATE, DELETE, CONFIG, SNAPSHOT, REVERT, SNAPSHOT_DELETE, CONSOLIDATE -> false;
    };
  }

  /** Returns the verb spelled exactly like this (lower case), if any. */
  public static Optional<Verb> fromFileName(String name) {
    for (Verb verb : values()) {
      if (verb.fileName().equals(name)) {
        return Optional.of(verb);
      }
    }
    return Optional.empty();
  }

  /** Every verb's file name, comma separated, for messages. */
  public static String all() {
    return Arrays.stream(values()).map(Verb::fileName).collect(Collectors.joining(", "));
  }
}
