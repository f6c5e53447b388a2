package org.wirt.cli;

import java.io.PrintWriter;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import picocli.CommandLine;

/** How every program runs its picocli command: same streams, same exit codes, same errors. */
public final class Cli {
  private Cli() {}

  /**
   * A program's subcommands by name, in the order its {@code --help} lists them, and the names of
   * its own options that take a value (which {@link #wanted} steps over).
   */
  public record Subcommands(Map<String, Class<?>> byName, Set<String> optionsWithValue) {
    public Subcommands {
      byName = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(byName)));
      optionsWithValue = Set.copyOf(Objects.requireNonNull(optionsWithValue));
    }
  }

  /**
   * A subcommand that runs another program and hands it the arguments after its own first
   * positional parameter as they are, options included ({@code wirt ssh web -l debian}).
   */
  public interface PassesOn {}

  /** Runs {@code command} with the subcommands its annotation names. */
  public static ExitCode execute(Object command, PrintWriter out, PrintWriter err, String... args) {
    return execute(command, new Subcommands(Map.of(), Set.of()), out, err, args);
  }

  /**
   * Runs {@code command} with those of its subcommands that {@code args} need: picocli
   * reads every registered command's annotations by reflection before it parses anything, which
   * costs a short-lived CLI more than the command itself. A command line that names a subcommand
   * gets only that one; {@code --version} alone gets none; anything else (help, no subcommand, a
   * mistake) gets them all, so that help and picocli's suggestions are the same as ever.
   */
  public static ExitCode execute(Object command, Subcommands subcommands, PrintWriter out,
      PrintWriter err, String... args) {
    CommandLine cl = new CommandLine(command);
    for (Class<?> sub : wanted(subcommands, args)) {
      cl.addSubcommand(sub);
    }
    for (CommandLine sub : cl.getSubcommands().values()) {
      if (sub.getCommandSpec().userObject() instanceof PassesOn) {
        // Only on this one: the parent's setting would reach every subcommand.
        sub.setStopAtPositional(true);
      }
    }
    // After the subcommands: picocli hands streams and handler only to those it already has.
    cl.setOut(out).setErr(err).setExecutionExceptionHandler(new Failed());
    int code = cl.execute(args);
    for (ExitCode c : ExitCode.values()) {
      if (c.code() == code) {
        return c;
      }
    }
    return ExitCode.FAILED;
  }

  /**
   * A command that cannot go on: {@link #execute} prints its message, a whole line such as {@code
   * wirt: ...}, on the program's stderr and ends with its exit code. What every subcommand checks
   * first (the configuration, the tree) throws it, rather than each caller testing and returning.
   */
  public static final class Exit extends Exception {
    private final ExitCode code;

    public Exit(ExitCode code, String line) {
      super(Objects.requireNonNull(line, "line"));
      this.code = Objects.requireNonNull(code, "code");
    }

    public ExitCode code() {
      return code;
    }
  }

  /**
   * A command that threw: {@link Exit}'s line and code, else its name and the message, exit
   * status 1. A class, not a lambda: picocli's
   * interfaces are Java 5 classes, which the class-data sharing archive cannot hold, so a lambda
   * of one would be spun at run time, and the first such lambda of a run costs milliseconds.
   */
  private static final class Failed implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception e, CommandLine line,
        CommandLine.ParseResult parsed) {
      if (e instanceof Exit exit) {
        line.getErr().println(exit.getMessage());
        return exit.code().code();
      }
      line.getErr().println(line.getCommandName() + ": " + e.getMessage());
      return ExitCode.FAILED.code();
    }
  }

  /** The subcommands that {@code args} need registered; see {@link #execute}. */
  public static List<Class<?>> wanted(Subcommands subcommands, String... args) {
    int i = 0;
    while (i < args.length) {
      String a = args[i];
      int eq = a.indexOf('=');
      if (subcommands.optionsWithValue().contains(a)) {
        i += 2;
      } else if (a.startsWith("--") && eq > 0
          && subcommands.optionsWithValue().contains(a.substring(0, eq))) {
        i += 1;
      } else {
        break;
      }
    }
    if (i == args.length - 1 && (args[i].equals("--version") || args[i].equals("-V"))) {
      return List.of();
    }
    Class<?> named = i < args.length ? subcommands.byName().get(args[i]) : null;
    return named != null ? List.of(named) : List.copyOf(subcommands.byName().values());
  }
}
