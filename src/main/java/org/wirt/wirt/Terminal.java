package org.wirt.wirt;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The controlling terminal of {@code wirt console}, when there is one: raw mode while attached
 * (every key goes to the guest as typed, Ctrl-C included), restored after.
 */
final class Terminal {
  private final String saved;
  private volatile boolean raw;

  private Terminal(String saved) {
    this.saved = saved;
  }

  /** The terminal as it is now, or one that does nothing when input is not a terminal. */
  static Terminal current() {
    if (System.console() == null) {
      return new Terminal(null);
    }
    try {
      return new Terminal(stty("-g").strip());
    } catch (IOException e) {
      return new Terminal(null);
    }
  }

  void raw() {
    if (saved != null) {
      try {
        stty("raw", "-echo");
        raw = true;
      } catch (IOException e) {
        // A terminal stty cannot set: the console still works, line by line.
      }
    }
  }

  void restore() {
    if (raw) {
      try {
        stty(saved);
      } catch (IOException e) {
        // `stty sane` is the remedy; nothing more to do from here.
      }
    }
  }

  private static String stty(String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of("stty"));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectInput(new File("/dev/tty"))
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    try {
      String result = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (p.waitFor() != 0) {
        throw new IOException("stty " + String.join(" ", args) + " failed");
      }
      return result;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }
}
