package org.wirt.command;

import java.util.Objects;
import java.util.Optional;

/**
 * The name of a command file: a verb, optionally followed by {@code .<tag>} (SPEC 2).
 *
 * @param tag the tag, or null for an untagged command
 */
public record CommandName(Verb verb, String tag) {

  public CommandName {
    Objects.requireNonNull(verb, "verb");
    if (tag != null && !Names.isTag(tag)) {
      throw new IllegalArgumentException("bad tag: " + tag);
    }
  }

  public Optional<String> optionalTag() {
    return Optional.ofNullable(tag);
  }

  /** The file name this command has in the tree. */
  public String fileName() {
    return tag == null ? verb.fileName() : verb.fileName() + "." + tag;
  }

  /**
   * Parses a file name.
   *
   * @throws Refusal naming what is wrong and what would be accepted
   */
  public static CommandName parse(String name) throws Refusal {
    int dot = name.indexOf('.');
    String verbPart = dot < 0 ? name : name.substring(0, dot);
    Optional<Verb> verb = Verb.fromFileName(verbPart);
    if (verb.isEmpty()) {
      throw new Refusal("'" + verbPart + "' is not a verb; a command file is named <verb> or "
          + "<verb>.<tag> with a verb among: " + Verb.all());
    }
    if (dot < 0) {
      return new CommandName(verb.get(), null);
    }
    String tag = name.substring(dot + 1);
    if (!Names.isTag(tag)) {
      throw new Refusal("'" + tag + "' is not a valid tag; a tag is " + Names.TAG_RULE
          + ", as in " + verbPart + ".job-42");
    }
    return new CommandName(verb.get(), tag);
  }
}
