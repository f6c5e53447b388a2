package org.wirt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.wirt.config.Config;
import org.wirt.daemon.ControlSocket;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * The {@code wirtctl} commands that ask the running wirtd, over its control socket {@code
 * <stateDir>/control.sock}: {@code status}, {@code users}, {@code queue}, {@code reload}, {@code
 * drain}.
 */
final class DaemonCommands {
  private DaemonCommands() {}

  /** Sends one request and returns the answer; an answer with "error" becomes an exception. */
  static JsonNode ask(Config cfg, ObjectNode request) throws DaemonDown, Refused, IOException {
    Path socket = cfg.stateDir().resolve(ControlSocket.FILE);
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      try {
        ch.connect(UnixDomainSocketAddress.of(socket));
      } catch (java.net.SocketException | java.nio.file.NoSuchFileException e) {
        if (String.valueOf(e.getMessage()).contains("Permission denied")) {
          throw new DaemonDown("cannot reach " + socket + ": permission denied; run wirtctl as"
              + " root (sudo wirtctl)");
        }
        throw new DaemonDown("wirtd is not running (nothing listens on " + socket + ": "
            + e.getMessage() + "); start it: systemctl start wirtd");
      } catch (java.nio.file.AccessDeniedException e) {
        throw new DaemonDown("cannot reach " + socket + ": permission denied; run wirtctl as root"
            + " (sudo wirtctl)");
      }
      ByteBuffer out = ByteBuffer.wrap((Json.MAPPER.writeValueAsString(request) + "\n")
          .getBytes(StandardCharsets.UTF_8));
      while (out.hasRemaining()) {
        ch.write(out);
      }
      java.io.ByteArrayOutputStream in = new java.io.ByteArrayOutputStream();
      ByteBuffer buf = ByteBuffer.allocate(65536);
      while (ch.read(buf) >= 0) {
        in.write(buf.array(), 0, buf.position());
        buf.clear();
      }
      JsonNode answer = Json.MAPPER.readTree(in.toString(StandardCharsets.UTF_8));
      if (answer == null) {
        throw new DaemonDown("wirtd closed the connection without an answer");
      }
      if (answer.has("error")) {
        throw new Refused(answer.get("error").asText());
      }
      return answer;
    } catch (java.net.SocketException e) {
      throw new DaemonDown("lost the connection to wirtd at " + socket + ": " + e.getMessage());
    }
  }

  static final class DaemonDown extends Exception {
    DaemonDown(String message) {
      super(message);
    }
  }

  static final class Refused extends Exception {
    Refused(String message) {
      super(message);
    }
  }

  /** The shared frame: load the configuration, ask, print, map errors to exit codes. */
  abstract static class Asking implements Callable<Integer> {
    @ParentCommand WirtctlCommand parent;

    @Option(names = "--json", description = "print wirtd's answer as JSON")
    boolean json;

    abstract ObjectNode request();

    abstract void print(JsonNode answer);

    @Override
    public Integer call() throws Exception {
      Config cfg = parent.configOrReport();
      if (cfg == null) {
        return ExitCode.CONFIG.code();
      }
      JsonNode answer;
      try {
        answer = ask(cfg, request());
      } catch (DaemonDown e) {
        parent.err.println("wirtctl: " + e.getMessage());
        return ExitCode.UNAVAILABLE.code();
      } catch (Refused e) {
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

    static ObjectNode command(String name) {
      ObjectNode n = Json.MAPPER.createObjectNode();
      n.put("command", name);
      return n;
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true,
      description = "Shows whether wirtd runs and how: libvirt connection, users served, queues,"
          + " watches, last sweep.")
  static final class Status extends Asking {
    @Override
    ObjectNode request() {
      return command("status");
    }

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

  @Command(name = "users", mixinStandardHelpOptions = true,
      description = "Lists the users wirtd serves: uid, tree, watch mode (inotify, partly-swept"
          + " past limits.watchesPerUser, sweep-only or none when the user has no tree), VMs owned, VMs busy.")
  static final class Users extends Asking {
    @Override
    ObjectNode request() {
      return command("users");
    }

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

  @Command(name = "queue", mixinStandardHelpOptions = true,
      description = "Lists the command files waiting in users' trees, per VM, with the oldest.")
  static final class Queue extends Asking {
    @Parameters(index = "0", arity = "0..1", paramLabel = "<user>", description = "only this user")
    String user;

    @Override
    ObjectNode request() {
      ObjectNode n = command("queue");
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

  @Command(name = "reload", mixinStandardHelpOptions = true,
      description = {"Makes wirtd read its configuration file again (as SIGHUP does).",
          "A bad configuration is refused with the reason; the running one stays."})
  static final class Reload extends Asking {
    @Override
    ObjectNode request() {
      return command("reload");
    }

    @Override
    void print(JsonNode a) {
      parent.out.println(a.path("message").asText());
    }
  }

  @Command(name = "drain", mixinStandardHelpOptions = true,
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
      ObjectNode n = command("drain");
      n.put("on", !off);
      n.put("wait", !noWait);
      return n;
    }

    @Override
    void print(JsonNode a) {
      parent.out.println(a.path("message").asText());
    }
  }

  /** Left-aligned columns, two spaces apart. */
  static final class Table {
    private Table() {}

    static void print(java.io.PrintWriter out, List<String[]> rows) {
      int[] width = new int[rows.get(0).length];
      for (String[] r : rows) {
        for (int i = 0; i < r.length; i++) {
          width[i] = Math.max(width[i], r[i].length());
        }
      }
      for (String[] r : rows) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < r.length; i++) {
          b.append(i == r.length - 1 ? r[i] : String.format("%-" + width[i] + "s  ", r[i]));
        }
        out.println(b.toString().stripTrailing());
      }
    }
  }
}
