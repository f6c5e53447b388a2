package org.wirt.command;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import org.wirt.text.SafeText;

/** Turns a verb and a command file's content into a {@link Command}, or refuses it. */
public final class CommandParser {
  private static final int MAX_STOP_TIMEOUT_SECONDS = 3600;

  private CommandParser() {}

  /**
   * Parses the content of a command file for its verb.
   *
   * @throws Refusal if the content is not UTF-8 or not what the verb accepts
   */
  public static Command parse(Verb verb, byte[] content) throws Refusal {
    String text = utf8(content).strip();
    return switch (verb) {
      case START -> empty(text, verb, new Command.Start());
      case DESTROY -> empty(text, verb, new Command.Destroy());
      case REBOOT -> empty(text, verb, new Command.Reboot());
      case RESET -> empty(text, verb, new Command.Reset());
      case SUSPEND -> empty(text, verb, new Command.Suspend());
      case RESUME -> empty(text, verb, new Command.Resume());
      case STATUS -> empty(text, verb, new Command.Status());
      case STOP -> stop(text);
      case AUTOSTART -> autostart(text);
      case CREATE -> CreateParser.parse(text);
      case DELETE -> empty(text, verb, new Command.Delete());
      case CONFIG -> CreateParser.config(text);
      case SNAPSHOT -> new Command.Snapshot(snapshotName(text, verb));
      case REVERT -> new Command.Revert(snapshotName(text, verb));
      case SNAPSHOT_DELETE -> new Command.SnapshotDelete(snapshotName(text, verb));
      case CONSOLIDATE -> empty(text, verb, new Command.Consolidate());
    };
  }

  /** A snapshot's name: what libvirt keeps, shown in settings.json. */
  private static final java.util.regex.Pattern SNAPSHOT_NAME =
      java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

  private static String snapshotName(String text, Verb verb) throws Refusal {
    if (!SNAPSHOT_NAME.matcher(text).matches()) {
      throw new Refusal("'" + verb.fileName() + "' takes a snapshot name: letters, digits, '_', "
          + "'.' and '-', up to 64, starting with a letter or digit, like 'before-upgrade'; the "
          + "file holds " + (text.isEmpty() ? "nothing" : quote(text)));
    }
    return text;
  }

  private static Command empty(String text, Verb verb, Command command) throws Refusal {
    if (!text.isEmpty()) {
      throw new Refusal("'" + verb.fileName() + "' takes no content, but the file holds "
          + quote(text) + "; leave the file empty");
    }
    return command;
  }

  private static Command stop(String text) throws Refusal {
    Duration timeout = Command.Stop.DEFAULT_TIMEOUT;
    boolean force = false;
    boolean timed = false;
    for (String word : text.isEmpty() ? new String[0] : text.split("\\s+")) {
      String lower = word.toLowerCase(Locale.ROOT);
      if (lower.equals("force") && !force) {
        force = true;
      } else if (lower.startsWith("timeout=") && !timed) {
        timeout = Duration.ofSeconds(seconds(word.substring("timeout=".length())));
        timed = true;
      } else {
        throw new Refusal("'stop' does not understand " + quote(word) + "; it accepts nothing, "
            + "'force', 'timeout=<seconds>' (1 to " + MAX_STOP_TIMEOUT_SECONDS + "), or both");
      }
    }
    return new Command.Stop(timeout, force);
  }

  private static long seconds(String value) throws Refusal {
    try {
      long seconds = Long.parseLong(value);
      if (seconds >= 1 && seconds <= MAX_STOP_TIMEOUT_SECONDS) {
        return seconds;
      }
    } catch (NumberFormatException e) {
      // falls through to the refusal, which says what is accepted
    }
    throw new Refusal("'stop' timeout " + quote(value) + " is not a whole number of seconds from 1 to "
        + MAX_STOP_TIMEOUT_SECONDS + ", as in timeout=60");
  }

  private static Command autostart(String text) throws Refusal {
    return switch (text.toLowerCase(Locale.ROOT)) {
      case "", "enable" -> new Command.Autostart(true);
      case "disable", "--disable" -> new Command.Autostart(false);
      default -> throw new Refusal("'autostart' does not understand " + quote(text)
          + "; write nothing or 'enable' to enable it, 'disable' or '--disable' to disable it");
    };
  }

  private static String utf8(byte[] content) throws Refusal {
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(content))
          .toString();
    } catch (CharacterCodingException e) {
      throw new Refusal("the content is not UTF-8 text; write plain text or JSON");
    }
  }

  /** Returns whether a line is one plain OpenSSH public key (no options), as {@code create} takes. */
  public static boolean isPublicKey(String line) {
    return CreateParser.isPublicKey(line);
  }

  /** Quotes user text for a message, escaped and shortened. */
  public static String quote(String text) {
    StringBuilder out = new StringBuilder("'");
    text.codePoints().limit(40).forEach(c -> {
      if (c == '\\' || c == '\'' || SafeText.isUnsafe(c)) {
        SafeText.appendEscaped(out, c);
      } else {
        out.appendCodePoint(c);
      }
    });
    if (text.codePointCount(0, text.length()) > 40) {
      out.append("...");
    }
    return out.append('\'').toString();
  }
}
