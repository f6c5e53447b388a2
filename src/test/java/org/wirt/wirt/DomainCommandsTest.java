package org.wirt.wirt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.wirt.cli.ExitCode;

/** {@code wirt domain ...}: the real command line on a tree of the test's own. */
class DomainCommandsTest {
  @TempDir Path tree;

  private record Run(ExitCode code, String out, String err) {}

  private Run wirt(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    String[] all = Stream.concat(Stream.of("--tree", tree.toString()), Stream.of(args))
        .toArray(String[]::new);
    ExitCode code = WirtCommand.run(new PrintWriter(out, true), new PrintWriter(err, true), all);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void listShowsTheNamesHeldAndWhyOneIsNotPublished() throws Exception {
    Path info = Files.createDirectories(tree.resolve("info/domain"));
    Files.createDirectories(info.resolve("web"));
    Files.writeString(info.resolve("web/settings.json"), """
        {"name": "web", "fqdn": "web.lab.example.org", "held": true, "vm": "web",
         "address": "10.97.0.12", "published": true, "pending": null}""");
    Files.createDirectories(info.resolve("db"));
    Files.writeString(info.resolve("db/settings.json"), """
        {"name": "db", "fqdn": "db.lab.example.org", "held": true, "vm": "db",
         "address": null, "published": false, "pending": "VM 'db' has no IPv4 address yet"}""");
    Files.createDirectories(info.resolve("old"));
    Files.writeString(info.resolve("old/settings.json"), """
        {"name": "old", "fqdn": "old.lab.example.org", "held": false}""");
    Run r = wirt("domain", "list");
    assertEquals(ExitCode.OK, r.code(), r.err());
    List<String> lines = r.out().lines().toList();
    assertEquals(3, lines.size(), r.out());
    assertTrue(lines.get(1).matches("db +db\\.lab\\.example\\.org +db +- +pending: VM 'db' has no"
        + " IPv4 address yet"), lines.get(1));
    assertTrue(lines.get(2).matches("web +web\\.lab\\.example\\.org +web +10\\.97\\.0\\.12"
        + " +published"), lines.get(2));
  }

  @Test
  void listWithNothingHeldSaysHowToPublish() {
    Run r = wirt("domain", "list");
    assertEquals(ExitCode.OK, r.code(), r.err());
    assertEquals("you hold no host names (wirt domain publish <name> --vm <vm>)\n", r.out());
  }

  @Test
  void publishQueuesAStartNamingTheVm() throws Exception {
    Run r = wirt("domain", "publish", "web", "--vm", "web1", "--no-wait");
    assertEquals(ExitCode.OK, r.code(), r.err());
    Path dir = tree.resolve("command/domain/web");
    try (Stream<Path> s = Files.list(dir)) {
      List<Path> files = s.toList();
      assertEquals(1, files.size());
      String name = files.get(0).getFileName().toString();
      assertTrue(name.startsWith("start.w"), name);
      assertEquals("{\"vm\": \"web1\"}", Files.readString(files.get(0)));
      assertEquals("queued command/domain/web/" + name + "\n", r.out());
    }
  }

  @Test
  void withdrawQueuesAnEmptyStop() throws Exception {
    Run r = wirt("domain", "withdraw", "web", "--no-wait");
    assertEquals(ExitCode.OK, r.code(), r.err());
    try (Stream<Path> s = Files.list(tree.resolve("command/domain/web"))) {
      Path file = s.findFirst().orElseThrow();
      assertTrue(file.getFileName().toString().startsWith("stop.w"), file.toString());
      assertEquals("", Files.readString(file));
    }
  }

  @Test
  void refusesABadNameOrVmBeforeWritingAnything() {
    Run name = wirt("domain", "publish", "Web.lab", "--no-wait");
    assertEquals(ExitCode.USAGE, name.code());
    assertEquals("wirt: 'Web.lab' is no host name; a host name is one DNS label: 1 to 63 of a-z,"
        + " 0-9 and '-', not starting or ending with '-', in lower case (wirtd adds the zone)\n",
        name.err());
    Run vm = wirt("domain", "publish", "web", "--vm", "../x", "--no-wait");
    assertEquals(ExitCode.USAGE, vm.code());
    assertEquals("wirt: '../x' is no VM name; a VM name is a letter or digit followed by up to 47"
        + " letters, digits, '_' or '-'\n", vm.err());
    assertTrue(!Files.exists(tree.resolve("command/domain")));
  }
}
