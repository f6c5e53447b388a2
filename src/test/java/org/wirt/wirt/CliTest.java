package org.wirt.wirt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.wirt.cli.Cli;
import org.wirt.cli.ExitCode;
import org.wirt.wirtctl.WirtctlCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The subcommands a command line gets (Cli.wanted): picocli is handed only those it needs, so the
 * lists the programs keep must say exactly what the annotations say.
 */
class CliTest {
  private static final List<Class<?>> ALL_WIRT =
      List.copyOf(WirtCommand.SUBCOMMANDS.byName().values());

  @Test
  void eachNameIsTheNameItsCommandAnnotationGives() {
    for (Cli.Subcommands s : List.of(WirtCommand.SUBCOMMANDS, WirtctlCommand.SUBCOMMANDS)) {
      for (Map.Entry<String, Class<?>> e : s.byName().entrySet()) {
        assertEquals(e.getKey(), e.getValue().getAnnotation(Command.class).name(),
            e.getValue().getName());
      }
    }
  }

  @Test
  void theOptionsSteppedOverAreThoseOfTheProgramThatTakeAValue() {
    assertEquals(valueOptions(WirtCommand.class), WirtCommand.SUBCOMMANDS.optionsWithValue());
    assertEquals(valueOptions(WirtctlCommand.class), WirtctlCommand.SUBCOMMANDS.optionsWithValue());
  }

  @Test
  void aCommandLineThatNamesASubcommandGetsOnlyThatOne() {
    Cli.Subcommands s = WirtCommand.SUBCOMMANDS;
    record Case(List<String> args, List<Class<?>> wanted) {}
    for (Case c : List.of(
        new Case(List.of("list"), List.of(ReadCommands.ListVms.class)),
        new Case(List.of("start", "web"), List.of(VmVerbs.Start.class)),
        new Case(List.of("--tree", "/t", "start", "web"), List.of(VmVerbs.Start.class)),
        new Case(List.of("--tree=/t", "--config", "/c", "stop", "--force", "web"),
            List.of(VmVerbs.Stop.class)),
        // The value of an option is never taken for a command, even when it is called so.
        new Case(List.of("--tree", "list", "start", "web"), List.of(VmVerbs.Start.class)),
        new Case(List.of("snapshot-delete", "web", "s1"),
            List.of(ProvisionCommands.SnapshotDelete.class)),
        new Case(List.of("start", "--help"), List.of(VmVerbs.Start.class)),
        new Case(List.of("--version"), List.of()),
        new Case(List.of("-V"), List.of()),
        new Case(List.of("--tree", "/t", "--version"), List.of()),
        // Help, nothing, a mistake or anything picocli must judge: all of them.
        new Case(List.of(), ALL_WIRT),
        new Case(List.of("--help"), ALL_WIRT),
        new Case(List.of("--help", "start"), ALL_WIRT),
        new Case(List.of("--version", "list"), ALL_WIRT),
        new Case(List.of("lis"), ALL_WIRT),
        new Case(List.of("--tree"), ALL_WIRT),
        new Case(List.of("--", "list"), ALL_WIRT),
        new Case(List.of("--verbose", "list"), ALL_WIRT))) {
      assertEquals(c.wanted(), Cli.wanted(s, c.args().toArray(String[]::new)), c.args().toString());
    }
  }

  @Test
  void helpListsEveryCommandInTheOrderKept() {
    for (String program : List.of("wirt", "wirtctl")) {
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      ExitCode code = org.wirt.Main.run(new PrintWriter(out, true), new PrintWriter(err, true),
          program, "--help");
      assertEquals(ExitCode.OK, code, err.toString());
      Cli.Subcommands s = program.equals("wirt") ? WirtCommand.SUBCOMMANDS
          : WirtctlCommand.SUBCOMMANDS;
      String help = out.toString();
      List<String> listed = new ArrayList<>();
      for (String line : help.substring(help.indexOf("\nCommands:\n")).split("\n")) {
        if (line.matches("  [a-z][a-z-]*( .*)?")) {
          listed.add(line.trim().split(" ")[0]);
        }
      }
      assertEquals(List.copyOf(s.byName().keySet()), listed, help);
    }
  }

  @Test
  void aSubcommandAloneWritesToTheProgramsStreams() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    ExitCode code = org.wirt.Main.run(new PrintWriter(out, true), new PrintWriter(err, true),
        "wirt", "start", "--help");
    assertEquals(ExitCode.OK, code, err.toString());
    assertTrue(out.toString().startsWith("Usage: wirt start [-hV] [--no-wait]"), out.toString());

    out.getBuffer().setLength(0);
    code = org.wirt.Main.run(new PrintWriter(out, true), new PrintWriter(err, true),
        "wirt", "start", "--timeout", "soon", "web");
    assertEquals(ExitCode.USAGE, code, out.toString());
    assertTrue(err.toString().startsWith("Invalid value for option '--timeout': 'soon' is not a"
        + " long"), err.toString());
    assertEquals("", out.toString());
  }

  @Test
  void aSubcommandAloneStillReachesItsParentsOptions() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    ExitCode code = org.wirt.Main.run(new PrintWriter(out, true), new PrintWriter(err, true),
        "wirt", "--tree", "/nonexistent/wirt-cli-test", "list");
    assertEquals(ExitCode.UNAVAILABLE, code, out + " " + err);
    assertEquals("wirt: there is no /nonexistent/wirt-cli-test; create it (mkdir "
        + "/nonexistent/wirt-cli-test) and wirtd fills it in, if you are a member of its group\n",
        err.toString());
  }

  /** The long names of the program's own options that are not flags. */
  private static Set<String> valueOptions(Class<?> program) {
    Set<String> names = new TreeSet<>();
    for (Field f : program.getDeclaredFields()) {
      Option o = f.getAnnotation(Option.class);
      if (o != null && f.getType() != boolean.class) {
        names.add(Arrays.stream(o.names()).filter(n -> n.startsWith("--")).findFirst()
            .orElseThrow());
      }
    }
    return names;
  }
}
