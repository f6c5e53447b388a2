package org.wirt.wirt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.wirt.cli.ExitCode;
import org.wirt.cli.Json;

/** {@code wirt top}: the running VMs' metrics.json as a table, or as they are. */
class TopTest {
  @TempDir Path dir;

  private record Run(ExitCode code, String out, String err) {}

  private Run top(String... more) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    String[] args = new String[2 + 1 + more.length];
    args[0] = "--tree";
    args[1] = dir.toString();
    args[2] = "top";
    System.arraycopy(more, 0, args, 3, more.length);
    ExitCode code = WirtCommand.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Run(code, out.toString(), err.toString());
  }

  private void write(String relative, String content) throws Exception {
    Path file = dir.resolve(relative);
    Files.createDirectories(file.getParent());
    Files.writeString(file, content);
  }

  @Test
  void showsEachVmsFiguresAndDashesForOneThatDoesNotRun() throws Exception {
    write("info/vm/web/metrics.json", """
        {"vm": "web", "state": "running", "time": "%s",
         "cpu": {"vcpus": 2, "timeNs": 5000000000, "percent": 12.5},
         "memory": {"currentKiB": 1048576, "maxKiB": 2097152, "rssKiB": 900000,
                    "guestUsedKiB": 524288},
         "disk": {"allocationBytes": 1610612736, "disks": []},
         "network": {"rxBytes": 5000, "txBytes": 3000, "rxBytesPerSecond": 2048,
                     "txBytesPerSecond": null, "interfaces": []}}
        """.formatted(Instant.now().minusSeconds(5)));
    write("info/vm/db/status.json", "{\"state\": \"shutoff\"}");

    Run r = top();

    assertEquals(ExitCode.OK, r.code(), r.err());
    String[] lines = r.out().split("\n");
    assertEquals("VM   STATE    CPU    VCPUS  MEMORY   GUEST USES  DISK     NET IN     "
        + "NET OUT        UPDATED", lines[0]);
    assertEquals("db   shutoff  -      -      -        -           -        -          "
        + "-              -", lines[1]);
    assertTrue(lines[2].matches("web  running  12.5%  2      1.0 GiB  512.0 MiB   1.5 GiB  "
        + "2.0 KiB/s  2.9 KiB total  \\d+ s ago"), lines[2]);
    assertEquals(3, lines.length, r.out());
  }

  @Test
  void jsonPrintsTheDocumentsAsOneArray() throws Exception {
    write("info/vm/web/metrics.json", "{\"vm\": \"web\", \"cpu\": {\"timeNs\": 7}}");
    write("info/vm/db/status.json", "{\"state\": \"shutoff\"}");

    Run r = top("--json");

    assertEquals(ExitCode.OK, r.code(), r.err());
    JsonNode all = Json.MAPPER.readTree(r.out());
    assertEquals(1, all.size(), r.out());
    assertEquals(7, all.get(0).at("/cpu/timeNs").asLong());
  }

  @Test
  void anEmptyTreeSaysThereAreNoVms() throws Exception {
    Files.createDirectories(dir);

    Run r = top();

    assertEquals("you have no VMs yet (ask an admin: wirtctl assign)\n", r.out());
    assertTrue(r.err().startsWith("wirt: note: wirtd has not served"), r.err());
  }

  @Test
  void sizesUseBinaryUnits() {
    assertEquals("900 B", ReadCommands.Top.size(900));
    assertEquals("1.0 KiB", ReadCommands.Top.size(1024));
    assertEquals("1.5 GiB", ReadCommands.Top.size(1610612736L));
  }
}
