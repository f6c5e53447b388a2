package org.wirt.wirt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.wirt.cli.Cli;
import org.wirt.cli.ExitCode;
import org.wirt.cli.Json;
import org.wirt.console.ConsoleLogs;

/**
 * {@code wirt ssh} and {@code wirt console} up to the point where they would reach a VM: the ssh
 * command line built from status.json, ssh's own options passed on, the console log's end, and
 * the messages when there is nothing to reach.
 */
class ReachCommandsTest {
  @TempDir Path dir;

  private static JsonNode status(String json) throws IOException {
    return Json.MAPPER.readTree(json);
  }

  @Test
  void sshGoesToTheFirstIpv4AddressWithTheArgumentsAfterIt() throws Exception {
    record Case(String addresses, List<String> extra, List<String> command) {}
    for (Case c : List.of(
        new Case("[{\"ip\": \"10.97.0.23\"}]", List.of(), List.of("ssh", "10.97.0.23")),
        new Case("[{\"ip\": \"fd00::5\"}, {\"ip\": \"10.97.0.23\"}, {\"ip\": \"10.97.1.9\"}]",
            List.of("-l", "debian", "uptime"),
            List.of("ssh", "10.97.0.23", "-l", "debian", "uptime")),
        new Case("[{\"ip\": \"fd00::5\"}, {\"ip\": \"fd00::6\"}]", List.of("--", "ls"),
            List.of("ssh", "fd00::5", "--", "ls")),
        new Case("[{\"iface\": \"vnet0\"}, {\"ip\": \"10.97.0.4\"}]", List.of(),
            List.of("ssh", "10.97.0.4")),
        // What is no address literal never reaches ssh's command line as its host.
        new Case("[{\"ip\": \"-oProxyCommand=touch /tmp/x\"}, {\"ip\": \"host.example\"},"
            + " {\"ip\": \"10.97.0.7\"}]", List.of(), List.of("ssh", "10.97.0.7")))) {
      assertEquals(c.command(), ReachCommands.sshCommand("web",
          status("{\"state\": \"running\", \"addresses\": " + c.addresses() + "}"), c.extra()),
          c.addresses());
    }
  }

  @Test
  void sshSaysWhyAVmWithoutAddressCannotBeReached() throws Exception {
    for (String doc : List.of("{\"state\": \"running\", \"addresses\": []}",
        "{\"state\": \"running\"}")) {
      Cli.Exit e = assertThrows(Cli.Exit.class,
          () -> ReachCommands.sshCommand("web", status(doc), List.of()));
      assertEquals(ExitCode.FAILED, e.code());
      assertEquals("wirt ssh: VM 'web' has no known address (state running); it gets one once it"
          + " runs on a network and asks for DHCP; `wirt console web` reaches it without one",
          e.getMessage());
    }
  }

  @Test
  void sshHandsItsOwnOptionsOnToSshInsteadOfParsingThem() throws Exception {
    Path vm = Files.createDirectories(dir.resolve("info/vm/web"));
    Files.writeString(vm.resolve("status.json"), "{\"state\": \"shutoff\", \"addresses\": []}");
    Run r = wirt("--tree", dir.toString(), "ssh", "web", "-l", "debian", "--version");
    // Refused for the missing address, not for "-l" or "--version": those are ssh's.
    assertEquals(ExitCode.FAILED, r.code(), r.err());
    assertTrue(r.err().startsWith("wirt ssh: VM 'web' has no known address (state shutoff)"),
        r.err());
    assertEquals(List.of(ReachCommands.Ssh.class),
        Cli.wanted(WirtCommand.SUBCOMMANDS, "ssh", "web", "-l", "debian"));
  }

  @Test
  void sshToAVmWithoutStatusNamesTheMissingFile() {
    Run r = wirt("--tree", dir.toString(), "ssh", "db");
    assertEquals(ExitCode.FAILED, r.code());
    assertEquals("wirt ssh: you have no VM 'db' (no " + dir.resolve("info/vm/db/status.json")
        + ")\n", r.err());
  }

  @Test
  void reachingRefusesABadVmName() {
    for (String verb : List.of("ssh", "console")) {
      Run r = wirt("--tree", dir.toString(), verb, "../x");
      assertEquals(ExitCode.USAGE, r.code(), verb);
      assertTrue(r.err().startsWith("wirt: '../x' is not a VM name; a VM name is "), r.err());
    }
  }

  @Test
  void consoleLogShowsItsLastLines() throws Exception {
    Path logs = Files.createDirectories(dir.resolve("logs/vm"));
    Files.writeString(logs.resolve("web.console.log"), "one\ntwo\nthree\nweb login: ",
        StandardCharsets.UTF_8);
    Run r = wirt("--tree", dir.toString(), "console", "web", "--log", "--lines", "2");
    assertEquals(ExitCode.OK, r.code(), r.err());
    assertEquals("two\nthree\nweb login: ", r.out());
  }

  @Test
  void consoleLogOfAVmThatPrintedNothingYetSaysSo() {
    Run r = wirt("--tree", dir.toString(), "console", "web", "--log");
    assertEquals(ExitCode.FAILED, r.code());
    assertEquals("wirt console: " + dir.resolve("logs/vm/web.console.log") + " does not exist"
        + " yet; wirtd writes it once VM 'web' has printed on its serial console (VMs made by"
        + " `wirt create` do)\n", r.err());
  }

  @Test
  void theConsoleLogIsWhereWirtdWritesIt() {
    assertEquals(ConsoleLogs.userLog("web"), ReachCommands.consoleLog("web"));
  }

  @Test
  void consoleWithoutWirtdsSocketIsUnavailable() throws Exception {
    Path config = dir.resolve("wirt.json");
    Files.writeString(config, "{\"console\": {\"runDir\": \"" + dir.resolve("run") + "\"}}");
    Run r = wirt("--config", config.toString(), "--tree", dir.toString(), "console", "web");
    assertEquals(ExitCode.UNAVAILABLE, r.code(), r.err());
    Path socket = dir.resolve("run").resolve(System.getProperty("user.name"))
        .resolve("console.sock");
    assertTrue(r.err().startsWith("wirt console: cannot connect to " + socket + " ("), r.err());
  }

  @Test
  void lastLinesKeepsWhatFollowsTheLastNewline() {
    assertEquals("b\nc\n", ReachCommands.lastLines("a\nb\nc\n", 2));
    assertEquals("a\nb", ReachCommands.lastLines("a\nb", 5));
    assertEquals("", ReachCommands.lastLines("", 3));
  }

  private record Run(ExitCode code, String out, String err) {}

  private static Run wirt(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    ExitCode code = WirtCommand.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Run(code, out.toString(), err.toString());
  }
}
