package org.wirt.wirtd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.wirt.testing.Await;

/** What a newcomer does after {@code make demo}: the demo daemon, and wirt against it. */
class DemoTest {
  @TempDir Path dir;

  @Test
  void theDemoServesWirtAndPlainFiles() throws Exception {
    Path out = dir.resolve("wirtd.out");
    Process wirtd = java("wirtd", "--demo", dir.resolve("demo").toString())
        .redirectErrorStream(true).redirectOutput(out.toFile()).start();
    try {
      Await.until("the demo's welcome", Duration.ofSeconds(60), () -> output(out), () -> {
        assertTrue(wirtd.isAlive(), read(out));
        return read(out).contains("Press Ctrl-C to stop.");
      });
      assertTrue(read(out).contains("wirt demo running"), read(out));
      String tree = dir.resolve("demo/home/alice/wirt").toString();

      Result started = run("wirt", "--tree", tree, "start", "web");
      assertEquals(0, started.code, started.text);
      assertEquals("started alice-web\n", started.text);
      Result list = run("wirt", "--tree", tree, "list");
      assertTrue(list.text.contains("web  running"), list.text);
      assertTrue(list.text.contains("db   shutoff"), list.text);

      Files.createFile(Path.of(tree, "command/vm/db/start"));
      Result history = Await.value("db's start in the history", Duration.ofSeconds(30),
          () -> run("wirt", "--tree", tree, "history"),
          r -> r.text.contains("started alice-db"));
      assertTrue(history.text.contains("db   start  ok      started alice-db"), history.text);
    } finally {
      wirtd.destroy();
      wirtd.waitFor(30, TimeUnit.SECONDS);
    }
  }

  private record Result(int code, String text) {}

  private Result run(String... args) throws Exception {
    Path out = Files.createTempFile(dir, "run", ".out");
    Process p = java(args).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    return new Result(p.exitValue(), read(out));
  }

  private static ProcessBuilder java(String... args) {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "org.wirt.Main"));
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd);
  }

  /** What the demo printed so far, for a failure message. */
  private static String output(Path p) {
    try {
      return read(p);
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }

  private static String read(Path p) throws IOException {
    return Files.exists(p) ? Files.readString(p, StandardCharsets.UTF_8) : "";
  }
}
