package org.wirt.wirt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.wirt.cli.ExitCode;
import org.wirt.cli.Json;
import org.wirt.cli.Table;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code wirt list|status|top|log|history|quota}: what wirtd wrote in the user's tree, read as it
 * is; they send nothing.
 */
final class ReadCommands {
  private ReadCommands() {}

  /** Commands that only read the tree. */
  @Command(mixinStandardHelpOptions = true)
  abstract static class Reading implements Callable<Integer> {
    @ParentCommand WirtCommand parent;

    abstract int read(UserTree tree) throws IOException;

    @Override
    public Integer call() throws Exception {
      UserTree tree = parent.tree();
      if (!Files.isDirectory(tree.root())) {
        parent.err.println("wirt: there is no " + tree.root() + "; create it (mkdir "
            + tree.root() + ") and wirtd fills it in, if you are a member of its group");
        return ExitCode.UNAVAILABLE.code();
      }
      int code = read(tree);
      if (tree.daemon() instanceof UserTree.Daemon.Down down) {
        parent.err.println("wirt: note: " + down.why() + "; what is shown may be old");
      }
      return code;
    }
  }

  @Command(name = "list",
      description = "Lists your VMs: state, vCPUs, memory, autostart, addresses.")
  static final class ListVms extends Reading {
    @Option(names = "--json", description = "print the VMs' status.json documents as one array")
    boolean json;

    @Override
    int read(UserTree tree) throws IOException {
      ArrayNode all = Json.MAPPER.createArrayNode();
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"VM", "STATE", "VCPUS", "MEMORY", "AUTOSTART", "ADDRESSES"});
      for (String vm : tree.vms()) {
        Optional<JsonNode> s = tree.status(vm);
        s.ifPresent(all::add);
        JsonNode n = s.orElse(Json.MAPPER.createObjectNode());
        rows.add(new String[] {vm, n.path("state").asText("unknown"),
            n.has("vcpus") ? n.get("vcpus").asText() : "-",
            n.has("memoryMiB") ? n.get("memoryMiB").asText() + " MiB" : "-",
            n.has("autostart") ? (n.get("autostart").asBoolean() ? "on" : "off") : "-",
            addresses(n)});
      }
      if (json) {
        parent.out.println(all.toPrettyString());
      } else if (rows.size() == 1) {
        parent.out.println("you have no VMs yet (ask an admin: wirtctl assign)");
      } else {
        Table.print(parent.out, rows);
      }
      return ExitCode.OK.code();
    }

    private static String addresses(JsonNode n) {
      List<String> a = new ArrayList<>();
      for (JsonNode addr : n.path("addresses")) {
        a.add(addr.path("ip").asText() + "/" + addr.path("prefix").asText());
      }
      return a.isEmpty() ? "-" : String.join(",", a);
    }
  }

  @Command(name = "status",
      description = "Shows a VM's status.json: state, reason, resources, last command.")
  static final class Status extends Reading {
    @Parameters(index = "0", paramLabel = "<vm>") String vm;

    @Option(names = "--json", description = "print status.json as it is")
    boolean json;

    @Override
    int read(UserTree tree) throws IOException {
      if (!parent.isVmOrReport(vm)) {
        return ExitCode.USAGE.code();
      }
      Optional<JsonNode> s = tree.status(vm);
      if (s.isEmpty()) {
        parent.err.println("wirt: no status for VM '" + vm + "' (no " + tree.root()
            .resolve("info/vm/" + vm + "/status.json") + ")");
        return ExitCode.USAGE.code();
      }
      if (json) {
        parent.out.println(s.get().toPrettyString());
        return ExitCode.OK.code();
      }
      s.get().fields().forEachRemaining(e -> parent.out.printf("%-12s %s%n", e.getKey() + ":",
          e.getValue().isValueNode() ? e.getValue().asText() : e.getValue().toString()));
      return ExitCode.OK.code();
    }
  }

  @Command(name = "top",
      description = {"Shows what your running VMs use: CPU, memory, disk, network",
          "(~/wirt/info/vm/<vm>/metrics.json, which wirtd writes every metrics.vmSeconds)."})
  static final class Top extends Reading {
    @Option(names = "--json", description = "print the VMs' metrics.json documents as one array")
    boolean json;

    @Override
    int read(UserTree tree) throws IOException {
      ArrayNode all = Json.MAPPER.createArrayNode();
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"VM", "STATE", "CPU", "VCPUS", "MEMORY", "GUEST USES", "DISK",
          "NET IN", "NET OUT", "UPDATED"});
      for (String vm : tree.vms()) {
        Optional<JsonNode> m = tree.metrics(vm);
        m.ifPresent(all::add);
        if (m.isEmpty()) {
          String state = tree.status(vm).map(s -> s.path("state").asText("unknown"))
              .orElse("unknown");
          rows.add(new String[] {vm, state, "-", "-", "-", "-", "-", "-", "-", "-"});
          continue;
        }
        JsonNode n = m.get();
        rows.add(new String[] {vm, n.path("state").asText("unknown"),
            n.at("/cpu/percent").isNumber() ? n.at("/cpu/percent").asText() + "%" : "-",
            n.at("/cpu/vcpus").asText("-"),
            kib(n.at("/memory/currentKiB")),
            kib(n.at("/memory/guestUsedKiB")),
            bytes(n.at("/disk/allocationBytes")),
            rate(n.at("/network/rxBytesPerSecond"), n.at("/network/rxBytes")),
            rate(n.at("/network/txBytesPerSecond"), n.at("/network/txBytes")),
            age(n.path("time").asText(""))});
      }
      if (json) {
        parent.out.println(all.toPrettyString());
      } else if (rows.size() == 1) {
        parent.out.println("you have no VMs yet (ask an admin: wirtctl assign)");
      } else {
        Table.print(parent.out, rows);
      }
      return ExitCode.OK.code();
    }

    private String age(String time) {
      try {
        long s = java.time.Duration.between(java.time.Instant.parse(time), parent.clock().instant())
            .toSeconds();
        return Math.max(0, s) + " s ago";
      } catch (java.time.format.DateTimeParseException e) {
        return "-";
      }
    }

    /** A rate per second if wirtd had two readings, else the total since the VM started. */
    private static String rate(JsonNode perSecond, JsonNode total) {
      if (perSecond.isNumber()) {
        return size(perSecond.asLong()) + "/s";
      }
      return total.isNumber() ? size(total.asLong()) + " total" : "-";
    }

    private static String kib(JsonNode value) {
      return value.isNumber() ? size(value.asLong() * 1024) : "-";
    }

    private static String bytes(JsonNode value) {
      return value.isNumber() ? size(value.asLong()) : "-";
    }

    /** Bytes in the largest binary unit that keeps the number at least 1, one decimal. */
    static String size(long bytes) {
      String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
      double v = bytes;
      int u = 0;
      while (v >= 1024 && u < units.length - 1) {
        v /= 1024;
        u++;
      }
      return u == 0 ? bytes + " B" : String.format(java.util.Locale.ROOT, "%.1f %s", v, units[u]);
    }
  }

  @Command(name = "log", description = "Shows the end of a VM's log (~/wirt/logs/vm/<vm>.log).")
  static final class Log extends Reading {
    @Parameters(index = "0", paramLabel = "<vm>") String vm;

    @Option(names = {"-n", "--lines"}, defaultValue = "20", description = "lines (default: ${DEFAULT-VALUE})")
    int lines;

    @Override
    int read(UserTree tree) throws IOException {
      if (!parent.isVmOrReport(vm)) {
        return ExitCode.USAGE.code();
      }
      tree.tail("logs/vm/" + vm + ".log", lines).forEach(parent.out::println);
      return ExitCode.OK.code();
    }
  }

  @Command(name = "history",
      description = "Shows your last commands and their outcomes (~/wirt/logs/history.log).")
  static final class History extends Reading {
    @Option(names = {"-n", "--lines"}, defaultValue = "20", description = "commands (default: ${DEFAULT-VALUE})")
    int lines;

    @Option(names = "--json", description = "print the history lines as they are (JSON)")
    boolean json;

    @Override
    int read(UserTree tree) throws IOException {
      List<String> history = tree.tail("logs/history.log", lines);
      if (json) {
        history.forEach(parent.out::println);
        return ExitCode.OK.code();
      }
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"TIME", "VM", "VERB", "RESULT", "MESSAGE"});
      for (String line : history) {
        JsonNode h = Json.MAPPER.readTree(line);
        rows.add(new String[] {h.path("time").asText().replaceFirst("\\.\\d+Z$", "Z"),
            h.path("vm").asText(), h.path("verb").asText(), h.path("result").asText(),
            h.path("message").asText()});
      }
      if (rows.size() == 1) {
        parent.out.println("no commands yet");
      } else {
        Table.print(parent.out, rows);
      }
      return ExitCode.OK.code();
    }
  }

  @Command(name = "quota",
      description = "Shows your limits and what you use (~/wirt/info/quota.json).")
  static final class Quota extends Reading {
    @Override
    int read(UserTree tree) throws IOException {
      Optional<JsonNode> q = tree.json(tree.root().resolve("info/quota.json"));
      if (q.isEmpty()) {
        parent.out.println("no quota information: wirtd writes ~/wirt/info/quota.json once VM "
            + "provisioning is enabled");
        return ExitCode.OK.code();
      }
      parent.out.println(q.get().toPrettyString());
      return ExitCode.OK.code();
    }
  }
}
