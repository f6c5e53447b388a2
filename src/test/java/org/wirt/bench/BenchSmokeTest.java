package org.wirt.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The benchmark suite still runs (at a tiny size: its figures mean nothing here). */
class BenchSmokeTest {

  @Test
  void everyMeasurementRunsAndTheTableIsWritten(@TempDir Path dir) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Bench bench = new Bench(Bench.Size.SMOKE, new PrintStream(out, true, StandardCharsets.UTF_8));
    List<Bench.Row> rows = bench.runAll();
    bench.write(dir.resolve("bench.json"));
    // latency: 2 rows per user count; overhead 1; throughput 1 per worker count; sweep 4 per
    // size (periodic, thorough, the settings.json pass, the command/domain/ pass); rest 3;
    // flood 1; refusals 5.
    assertEquals(2 * 2 + 1 + 2 + 4 + 3 + 1 + 5, rows.size(), out.toString(StandardCharsets.UTF_8));
    assertTrue(rows.stream().noneMatch(r -> r.value().contains("BROKEN")), rows.toString());
    assertTrue(Files.readString(dir.resolve("bench.json")).contains("\"measure\""));
  }
}
