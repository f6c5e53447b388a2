package org.wirt.cli;

import java.io.PrintWriter;
import picocli.CommandLine;

/** How every program runs its picocli command: same streams, same exit codes, same errors. */
final class Cli {
  private Cli() {}

  static ExitCode execute(Object command, PrintWriter out, PrintWriter err, String... args) {
    CommandLine cl = new CommandLine(command)
        .setOut(out)
        .setErr(err)
        .setExecutionExceptionHandler((e, line, parsed) -> {
          line.getErr().println(line.getCommandName() + ": " + e.getMessage());
          return ExitCode.FAILED.code();
        });
    int code = cl.execute(args);
    for (ExitCode c : ExitCode.values()) {
      if (c.code() == code) {
        return c;
      }
    }
    return ExitCode.FAILED;
  }
}
