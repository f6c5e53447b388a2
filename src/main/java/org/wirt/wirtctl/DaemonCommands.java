package org.wirt.wirtctl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.wirt.cli.ExitCode;
import org.wirt.cli.Table;
import org.wirt.config.Config;
import org.wirt.control.ControlClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * The {@code wirtctl} commands that ask the running wirtd, over its control socket {@code
 * <stateDir>/control.sock}: {@code status}, {@code users}, {@code queue}, {@code reload}, {@code
 * drain}.
 */
final class DaemonCommands {
  private DaemonCommands() {}

  /**
   * The shared frame: load the configuration, ask, print, map errors to exit codes. The request
   * is the subcommand's name unless it says more; the answer, its message unless it shows more.
   */
  @Command(mixinStandardHelpOptions = true)
  abstract static class Asking implements Callable<Integer> {
    @ParentCommand WirtctlCommand parent;
    @Spec CommandSpec spec;

    @Option(names = "--json", description = "print wirtd's answer as JSON")
    boolean json;

    ObjectNode request() {
      return ControlClient.request(spec.name());
    }

    void print(JsonNode answer) {
      parent.out.println(answer.path("message").asText());
    }

    @Override
    public Integer call() throws Exception {
      Config cfg = parent.config();
      JsonNode answer;
      try {
        answer = new ControlClient(cfg.stateDir()).ask(request());
      } catch (ControlClient.DaemonDown e) {
        parent.err.println("wirtctl: " + e.getMessage());
        return ExitCode.UNAVAILABLE.code();
      } catch (ControlClient.Refused e) {
        parent.err.println("wirtctl: " + e.getMessage());
        return ExitCode.FAILED.code();
      }
      if (json) {
        parent.out.println(answer.toPrettyString());
      } else {
        print(answer);
      }
      return ExitCode.OK.code();
    }
  }

  @Command(name = "status",
      description = "Shows whether wirtd runs and how: libvirt connection, users served, queues,"
          + " watches, last sweep.")
  static final class Status extends Asking {
    @Override
    void print(JsonNode a) {
      var out = parent.out;
      out.println("wirtd:      running (pid " + a.path("pid").asLong() + ", since "
          + a.path("started").asText() + ")" + (a.path("draining").asBoolean()
          ? ", DRAINING: taking no new commands" : ""));
      out.println("libvirt:    " + a.path("libvirtUri").asText() + " "
          + (a.path("libvirtConnected").asBoolean() ? "connected" : "UNREACHABLE (reconnecting)"));
      out.println("users:      " + a.path("users").asInt() + " served, " + a.path("watches").asInt()
          + " directories watched");
      out.println("commands:   " + a.path("running").asInt() + " running, " + a.path("workers").asInt()
          + " workers");
      List<String> queued = new ArrayList<>();
      a.path("queued").fields().forEachRemaining(
          e -> queued.add(e.getKey() + " (" + e.getValue().asInt() + " VM"
              + (e.getValue().asInt() == 1 ? "" : "s") + ")"));
      out.println("queued:     " + (queued.isEmpty() ? "nothing" : String.join(", ", queued)));
      out.println("last sweep: " + (a.path("lastSweep").isNull() ? "none yet"
          : a.path("lastSweep").asText() + " (" + a.path("lastSweepMs").asLong() + " ms)"));
    }
  }

  @Command(name = "users",
      description = "Lists the users wirtd serves: uid, tree, watch mode (inotify, partly-swept"
          + " past limits.watchesPerUser, sweep-only or none when the user has no tree), VMs owned, VMs busy.")
  static final class Users extends Asking {
    @Override
    void print(JsonNode a) {
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"USER", "UID", "WATCH", "VMS", "BUSY", "TREE"});
      for (JsonNode u : a.path("users")) {
        rows.add(new String[] {u.path("user").asText(), u.path("uid").asText(),
            u.path("watch").asText(), u.path("vms").asText(), u.path("busyVms").asText(),
            u.path("tree").asText() + (u.path("treeExists").asBoolean() ? "" : " (missing)")});
      }
      Table.print(parent.out, rows);
    }
  }

  @Command(name = "queue",
      description = "Lists the command files waiting in users' trees, per VM, with the oldest.")
  static final class Queue extends Asking {
    @Parameters(index = "0", arity = "0..1", paramLabel = "<user>", description = "only this user")
    String user;

    @Override
    ObjectNode request() {
      ObjectNode n = ControlClient.request("queue");
      if (user != null) {
        n.put("user", user);
      }
      return n;
    }

    @Override
    void print(JsonNode a) {
      if (a.path("queue").isEmpty()) {
        parent.out.println("nothing queued" + (user == null ? "" : " for " + user));
        return;
      }
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"USER", "VM", "FILES", "OLDEST"});
      for (JsonNode q : a.path("queue")) {
        rows.add(new String[] {q.path("user").asText(), q.path("vm").asText(),
            q.path("files").asText(), q.path("oldest").asText()});
      }
      Table.print(parent.out, rows);
    }
  }

  @Command(name = "reload",
      description = {"Makes wirtd read its configuration file again (as SIGHUP does).",
          "A bad configuration is refused with the reason; the running one stays."})
  static final class Reload extends Asking {}

  @Command(name = "drain",
      description = {"Makes wirtd stop taking commands and waits for the running ones to finish",
          "(up to 10 minutes), e.g. before maintenance. Queued files stay in the users' trees;",
          "users' wirt says wirtd is draining. `drain --off` (or a restart) takes them again."})
  static final class Drain extends Asking {
    @Option(names = "--off", description = "take commands again")
    boolean off;

    @Option(names = "--no-wait", description = "return at once, without waiting for running commands")
    boolean noWait;

    @Override
    ObjectNode request() {
      ObjectNode n = ControlClient.request("drain");
      n.put("on", !off);
      n.put("wait", !noWait);
      return n;
    }
  }
}
