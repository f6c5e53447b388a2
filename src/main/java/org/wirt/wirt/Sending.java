package org.wirt.wirt;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.wirt.cli.Cli;
import org.wirt.cli.ExitCode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * A {@code wirt} command that sends a command file and waits for its result: the verb is the
 * subcommand's name, the file's content {@link #content}. A subclass says only what differs: its
 * name, its options and what they write.
 */
@Command(mixinStandardHelpOptions = true)
abstract class Sending implements Callable<Integer> {
  @ParentCommand WirtCommand parent;
  @Spec CommandSpec spec;
  @Mixin Waiting waiting;

  @Parameters(index = "0", paramLabel = "<vm>", description = "the VM",
      completionCandidates = NoCandidates.class)
  String vm;

  /** Options of every command that sends a command file. */
  static final class Waiting {
    @Option(names = "--no-wait", description = "queue the command and return at once")
    boolean noWait;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "600",
        description = "how long to wait for wirtd's answer (default: ${DEFAULT-VALUE})")
    long timeoutSeconds;
  }

  /** VM names are completed by the bash completion script from the tree, not by picocli. */
  static final class NoCandidates extends ArrayList<String> {}

  /** The command file's name before its tag: the subcommand's own. */
  final String verb() {
    return spec.name();
  }

  /** What the command file holds. */
  String content() {
    return "";
  }

  /** {@code value} in lower case if it is on or off; else a usage error naming {@code what}. */
  static String onOrOff(String what, String value) throws Cli.Exit {
    String s = value.toLowerCase(Locale.ROOT);
    if (!s.equals("on") && !s.equals("off")) {
      throw new Cli.Exit(ExitCode.USAGE, "wirt: " + what + " takes on or off, not '" + value + "'");
    }
    return s;
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter out = parent.out;
    PrintWriter err = parent.err;
    UserTree tree = parent.tree();
    if (!parent.isVmOrReport(vm)) {
      return ExitCode.USAGE.code();
    }
    if (!Files.isDirectory(tree.commandDir(vm))) {
      List<String> vms = Files.isDirectory(tree.root()) ? tree.vms() : List.of();
      err.println("wirt: you have no VM '" + vm + "' (no " + tree.commandDir(vm) + "); "
          + (vms.isEmpty() ? "you have no VMs yet" : "your VMs: " + String.join(", ", vms)));
      return ExitCode.USAGE.code();
    }
    UserTree.Daemon daemon = tree.daemon();
    if (daemon instanceof UserTree.Daemon.Down down && !waiting.noWait) {
      err.println("wirt: " + down.why() + "; nothing was queued (--no-wait queues it anyway,"
          + " for when wirtd is back)");
      return ExitCode.UNAVAILABLE.code();
    }
    String tag = tree.freshTag();
    Path file = tree.queue(vm, verb(), tag, content());
    String queued = "queued " + tree.root().relativize(file);
    if (waiting.noWait) {
      out.println(queued + (daemon instanceof UserTree.Daemon.Down down
          ? " (" + down.why() + ")" : ""));
      return ExitCode.OK.code();
    }
    if (daemon instanceof UserTree.Daemon.Serving s && s.draining()) {
      err.println("wirt: " + queued + ", but wirtd is draining for maintenance and takes no "
          + "commands now; it runs when the drain ends (see wirt history)");
      return ExitCode.UNAVAILABLE.code();
    }
    ResultWaiter.Outcome outcome = new ResultWaiter(tree, parent.clock())
        .await(vm, tag, Duration.ofSeconds(waiting.timeoutSeconds));
    if (outcome instanceof ResultWaiter.Outcome.Down down) {
      err.println("wirt: " + down.why() + "; " + queued + " stays queued");
      return ExitCode.UNAVAILABLE.code();
    }
    if (outcome instanceof ResultWaiter.Outcome.TimedOut) {
      err.println("wirt: no answer from wirtd within " + waiting.timeoutSeconds + " s; " + queued
          + " is still queued or running: see wirt history, or wait longer with --timeout");
      return ExitCode.TIMEOUT.code();
    }
    return answered(((ResultWaiter.Outcome.Done) outcome).result());
  }

  /** wirtd's answer on the user's streams, and the exit code it makes. */
  private int answered(JsonNode result) {
    String r = result.path("result").asText();
    String message = result.path("message").asText();
    switch (r) {
      case "ok" -> {
        parent.out.println(message);
        return ExitCode.OK.code();
      }
      case "rejected" -> {
        parent.err.println("wirt: " + verb() + " " + vm + " refused: " + message);
        return ExitCode.REFUSED.code();
      }
      default -> {
        parent.err.println("wirt: " + verb() + " " + vm + " " + r + ": " + message);
        return ExitCode.FAILED.code();
      }
    }
  }
}
