package org.wirt;

import java.io.PrintWriter;
import java.util.Arrays;
import org.wirt.cli.ExitCode;
import org.wirt.wirt.WirtCommand;
import org.wirt.wirtctl.WirtctlCommand;
import org.wirt.wirtd.WirtdCommand;

/**
 * The jar's entry point: {@code java -jar wirt.jar wirt|wirtd|wirtctl ...}. The first argument names
 * the program; the rest are that program's.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    if (args.length > 0 && !args[0].equals("wirtd")) {
      // The CLIs' stdout is their answer: their own logging goes to stderr, and only trouble.
      System.setProperty("WIRT_LOG_TARGET", "System.err");
      if (System.getenv("WIRT_LOG_LEVEL") == null) {
        System.setProperty("WIRT_LOG_LEVEL", "WARN");
      }
    }
    PrintWriter out = new PrintWriter(System.out, true);
    PrintWriter err = new PrintWriter(System.err, true);
    // The installed wirtctl checks and clears its caller's environment first (SPEC 8); run(),
    // which tests call in their own JVM, leaves the environment alone.
    ExitCode code = args.length > 0 && args[0].equals("wirtctl")
        ? WirtctlCommand.main(out, err, Arrays.copyOfRange(args, 1, args.length))
        : run(out, err, args);
    System.exit(code.code());
  }

  /** Runs a program and returns its exit code; testable without exiting the JVM. */
  public static ExitCode run(PrintWriter out, PrintWriter err, String... args) {
    if (args.length == 0) {
      err.println("usage: java -jar wirt.jar <wirt|wirtd|wirtctl> [--config FILE] ...");
      return ExitCode.USAGE;
    }
    String[] rest = Arrays.copyOfRange(args, 1, args.length);
    return switch (args[0]) {
      case "wirtd" -> WirtdCommand.run(out, err, rest);
      case "wirtctl" -> WirtctlCommand.run(out, err, rest);
      case "wirt" -> WirtCommand.run(out, err, rest);
      default -> {
        err.println("wirt.jar: unknown program '" + args[0] + "'; the programs are wirt, wirtd and wirtctl");
        yield ExitCode.USAGE;
      }
    };
  }
}
