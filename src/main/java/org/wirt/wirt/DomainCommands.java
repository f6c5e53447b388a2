package org.wirt.wirt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.wirt.cli.ExitCode;
import org.wirt.cli.Table;
import org.wirt.command.HostNames;
import org.wirt.command.Names;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code wirt domain list|publish|withdraw}: host names for the user's VMs, each a directory
 * {@code ~/wirt/command/domain/<name>/} (see {@code HostNames} for the rule); {@code publish}
 * writes {@code start}, {@code withdraw} writes {@code stop}, and both wait for wirtd's answer.
 */
@Command(name = "domain", mixinStandardHelpOptions = true,
    description = "Host names for your VMs in the zone the admin configured (~/wirt/command/domain/).",
    subcommands = {DomainCommands.ListNames.class, DomainCommands.Publish.class,
        DomainCommands.Withdraw.class})
final class DomainCommands {
  @ParentCommand WirtCommand parent;

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "Lists your host names: the VM, the address published, or why not yet.")
  static final class ListNames implements Callable<Integer> {
    @ParentCommand DomainCommands domain;

    @Option(names = "--json", description = "print the names' settings.json documents as one array")
    boolean json;

    @Override
    public Integer call() throws Exception {
      WirtCommand parent = domain.parent;
      UserTree tree = parent.tree();
      Path info = tree.root().resolve("info/domain");
      List<String> names = new ArrayList<>();
      if (Files.isDirectory(info)) {
        try (Stream<Path> s = Files.list(info)) {
          s.map(p -> p.getFileName().toString()).filter(HostNames::isLabel).sorted()
              .forEach(names::add);
        }
      }
      ArrayNode all = org.wirt.cli.Json.MAPPER.createArrayNode();
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"NAME", "FQDN", "VM", "ADDRESS", "STATE"});
      for (String name : names) {
        Optional<JsonNode> s = tree.json(info.resolve(name).resolve("settings.json"));
        if (s.isEmpty() || !s.get().path("held").asBoolean()) {
          continue;
        }
        JsonNode n = s.get();
        all.add(n);
        rows.add(new String[] {name, n.path("fqdn").asText("-"), n.path("vm").asText("-"),
            n.path("address").isTextual() ? n.path("address").asText() : "-",
            n.path("published").asBoolean() ? "published"
                : "pending: " + n.path("pending").asText("-")});
      }
      if (json) {
        parent.out.println(all.toPrettyString());
      } else if (rows.size() == 1) {
        parent.out.println("you hold no host names (wirt domain publish <name> --vm <vm>)");
      } else {
        Table.print(parent.out, rows);
      }
      return ExitCode.OK.code();
    }
  }

  /** Writes one command into {@code command/domain/<name>/} and waits for its result. */
  abstract static class NameSending implements Callable<Integer> {
    @ParentCommand DomainCommands domain;
    @Mixin Sending.Waiting waiting;

    @Parameters(index = "0", paramLabel = "<name>",
        description = "the host name: one DNS label in lower case, like web")
    String name;

    abstract String verb();

    abstract String content();

    @Override
    public Integer call() throws Exception {
      WirtCommand parent = domain.parent;
      if (!HostNames.isLabel(name)) {
        parent.err.println("wirt: '" + name + "' is no host name; a host name is "
            + HostNames.LABEL_RULE + " (wirtd adds the zone)");
        return ExitCode.USAGE.code();
      }
      UserTree tree = parent.tree();
      if (!Files.isDirectory(tree.root())) {
        parent.err.println("wirt: there is no " + tree.root() + "; create it (mkdir "
            + tree.root() + ") and wirtd fills it in, if you are a member of its group");
        return ExitCode.UNAVAILABLE.code();
      }
      UserTree.Daemon daemon = tree.daemon();
      if (daemon instanceof UserTree.Daemon.Down down && !waiting.noWait) {
        parent.err.println("wirt: " + down.why() + "; nothing was queued (--no-wait queues it"
            + " anyway, for when wirtd is back)");
        return ExitCode.UNAVAILABLE.code();
      }
      String tag = tree.freshTag();
      Path file = tree.queueDomain(name, verb(), tag, content());
      String queued = "queued " + tree.root().relativize(file);
      if (waiting.noWait) {
        parent.out.println(queued);
        return ExitCode.OK.code();
      }
      ResultWaiter.Outcome outcome = new ResultWaiter(tree, parent.clock()).awaitIn(
          tree.root().resolve("info/domain/" + name + "/results"), tag,
          Duration.ofSeconds(waiting.timeoutSeconds));
      if (outcome instanceof ResultWaiter.Outcome.Down down) {
        parent.err.println("wirt: " + down.why() + "; " + queued + " stays queued");
        return ExitCode.UNAVAILABLE.code();
      }
      if (outcome instanceof ResultWaiter.Outcome.TimedOut) {
        parent.err.println("wirt: no answer from wirtd within " + waiting.timeoutSeconds + " s; "
            + queued + " is still queued or running: see wirt history");
        return ExitCode.TIMEOUT.code();
      }
      JsonNode result = ((ResultWaiter.Outcome.Done) outcome).result();
      String r = result.path("result").asText();
      String message = result.path("message").asText();
      switch (r) {
        case "ok" -> {
          parent.out.println(message);
          return ExitCode.OK.code();
        }
        case "rejected" -> {
          parent.err.println("wirt: domain " + spec() + " " + name + " refused: " + message);
          return ExitCode.REFUSED.code();
        }
        default -> {
          parent.err.println("wirt: domain " + spec() + " " + name + " " + r + ": " + message);
          return ExitCode.FAILED.code();
        }
      }
    }

    abstract String spec();
  }

  @Command(name = "publish", mixinStandardHelpOptions = true, description = {
      "Holds the name and publishes it in DNS at the VM's address.",
      "Names are first come, first served. <name>.<zone> points at the VM",
      "--vm names, else at the one it points at already; it waits for the",
      "VM's first address."})
  static final class Publish extends NameSending {
    @Option(names = "--vm", paramLabel = "VM", description = "the VM the name points at")
    String vm;

    @Override
    String verb() {
      return "start";
    }

    @Override
    String spec() {
      return "publish";
    }

    @Override
    String content() {
      return vm == null ? "" : "{\"vm\": \"" + vm + "\"}";
    }

    @Override
    public Integer call() throws Exception {
      if (vm != null && !Names.isVm(vm)) {
        domain.parent.err.println("wirt: '" + vm + "' is no VM name; a VM name is "
            + Names.VM_RULE);
        return ExitCode.USAGE.code();
      }
      return super.call();
    }
  }

  @Command(name = "withdraw", mixinStandardHelpOptions = true,
      description = "Withdraws the name from DNS and releases it.")
  static final class Withdraw extends NameSending {
    @Override
    String verb() {
      return "stop";
    }

    @Override
    String spec() {
      return "withdraw";
    }

    @Override
    String content() {
      return "";
    }
  }
}
