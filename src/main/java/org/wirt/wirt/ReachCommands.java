package org.wirt.wirt;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.wirt.cli.Cli;
import org.wirt.cli.ExitCode;
import org.wirt.console.ConsoleClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code wirt console|ssh}: reaching a running VM, through wirtd's console relay or straight over
 * the network with the user's own ssh; neither sends a command file.
 */
final class ReachCommands {
  /** {@code console --log} reads at most this much of the end of the console log. */
  static final int LOG_TAIL_BYTES = 64 * 1024;

  private ReachCommands() {}

  /** The user's copy of a VM's console log, relative to the tree (wirtd's ConsoleLogs writes it). */
  static String consoleLog(String vm) {
    return "logs/vm/" + vm + ".console.log";
  }

  @Command(name = "console", mixinStandardHelpOptions = true,
      description = {"Attaches your terminal to the VM's serial console; Ctrl-] detaches.",
          "With --log, shows the end of its console log (~/wirt/logs/vm/<vm>.console.log)."})
  static final class Console implements Callable<Integer> {
    @ParentCommand WirtCommand parent;

    @Parameters(index = "0", paramLabel = "<vm>", description = "the VM",
        completionCandidates = Sending.NoCandidates.class)
    String vm;

    @Option(names = "--force", description = "take the console over from another session of yours")
    boolean force;

    @Option(names = "--log", description = "show the end of the console log instead of attaching")
    boolean showLog;

    @Option(names = "--lines", paramLabel = "N", defaultValue = "40",
        description = "with --log: how many lines (default: ${DEFAULT-VALUE})")
    int lines;

    @Override
    public Integer call() throws Exception {
      if (!parent.isVmOrReport(vm)) {
        return ExitCode.USAGE.code();
      }
      if (showLog) {
        return showLog(parent.tree().root().resolve(consoleLog(vm)));
      }
      Path runDir = parent.config().console().runDir();
      ConsoleClient client = new ConsoleClient(runDir, System.getProperty("user.name"), parent.err);
      Terminal terminal = Terminal.current();
      ConsoleClient.End end;
      try {
        end = client.attach(vm, force, System.in, System.out, terminal::raw);
      } finally {
        terminal.restore();
      }
      return switch (end) {
        case DETACHED -> {
          parent.err.println("\nwirt console: detached from " + vm);
          yield ExitCode.OK.code();
        }
        case CLOSED_BY_WIRTD -> ExitCode.FAILED.code();
        case REFUSED -> ExitCode.REFUSED.code();
        case UNREACHABLE -> ExitCode.UNAVAILABLE.code();
      };
    }

    private int showLog(Path file) throws IOException {
      byte[] tail;
      try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
        long from = Math.max(0, f.length() - LOG_TAIL_BYTES);
        tail = new byte[(int) (f.length() - from)];
        f.seek(from);
        f.readFully(tail);
      } catch (FileNotFoundException e) {
        parent.err.println("wirt console: " + file + " does not exist yet; wirtd writes it once VM '"
            + vm + "' has printed on its serial console (VMs made by `wirt create` do)");
        return ExitCode.FAILED.code();
      }
      parent.out.print(lastLines(new String(tail, StandardCharsets.UTF_8), lines));
      parent.out.flush();
      return ExitCode.OK.code();
    }
  }

  /** The last {@code n} lines of {@code text}, and what follows the last newline. */
  static String lastLines(String text, int n) {
    List<String> all = Arrays.asList(text.split("\n", -1));
    int first = Math.max(0, all.size() - 1 - n);
    return String.join("\n", all.subList(first, all.size()));
  }

  @Command(name = "ssh", mixinStandardHelpOptions = true,
      description = {"Runs ssh to the VM's first address (from status.json), as you, with your",
          "own keys and ~/.ssh/config; the arguments after <vm> go to ssh as they are."})
  static final class Ssh implements Callable<Integer>, Cli.PassesOn {
    @ParentCommand WirtCommand parent;

    @Parameters(index = "0", paramLabel = "<vm>", description = "the VM",
        completionCandidates = Sending.NoCandidates.class)
    String vm;

    @Parameters(index = "1..*", paramLabel = "<arg>", description = "ssh's options and command")
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
      if (!parent.isVmOrReport(vm)) {
        return ExitCode.USAGE.code();
      }
      UserTree tree = parent.tree();
      Optional<JsonNode> status = tree.status(vm);
      if (status.isEmpty()) {
        throw new Cli.Exit(ExitCode.FAILED, "wirt ssh: you have no VM '" + vm + "' (no "
            + tree.root().resolve("info/vm/" + vm + "/status.json") + ")");
      }
      List<String> command = sshCommand(vm, status.get(), args);
      // ssh runs as this user, like any program they start: wirtd and root take no part.
      return new ProcessBuilder(command).inheritIO().start().waitFor();
    }
  }

  /**
   * The command line of {@code wirt ssh}: {@code ssh}, the VM's first IPv4 address in {@code
   * status} (else its first address), then {@code extra} as given.
   *
   * @throws Cli.Exit if the status knows no address, saying why and what reaches the VM instead
   */
  private static final java.util.regex.Pattern IP_LITERAL =
      java.util.regex.Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){3}|[0-9a-fA-F:]*:[0-9a-fA-F:.]*");

  static List<String> sshCommand(String vm, JsonNode status, List<String> extra) throws Cli.Exit {
    String ip = null;
    for (JsonNode a : status.path("addresses")) {
      String candidate = a.path("ip").asText("");
      // Only an address literal reaches ssh's command line: never an option ("-oProxyCommand=").
      if (!IP_LITERAL.matcher(candidate).matches()) {
        continue;
      }
      if (ip == null || (ip.contains(":") && !candidate.contains(":"))) {
        ip = candidate;
      }
    }
    if (ip == null) {
      throw new Cli.Exit(ExitCode.FAILED, "wirt ssh: VM '" + vm + "' has no known address (state "
          + status.path("state").asText("unknown") + "); it gets one once it runs on a network and"
          + " asks for DHCP; `wirt console " + vm + "` reaches it without one");
    }
    List<String> command = new ArrayList<>(List.of("ssh", ip));
    command.addAll(extra);
    return command;
  }
}
