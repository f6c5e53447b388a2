package org.wirt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.wirt.Main;

/**
 * What a short command loads in a fresh JVM: {@code wirt --version} makes no JSON mapper, and
 * neither it nor {@code wirt list} starts the logging framework. Class loading is what the JVM's
 * start-up time goes to (docs/BENCHMARKS.md, "CLI start-up"); the time itself is measured there.
 */
class LazyStartTest {
  @TempDir Path dir;

  @Test
  void versionMakesNoJsonMapperAndStartsNoLogging() throws Exception {
    List<String> loaded = loadedBy("wirt", "--version");
    assertNoneLoaded(loaded, "com.fasterxml.jackson.databind.");
    assertNoneLoaded(loaded, "ch.qos.logback.");
    assertNoneLoaded(loaded, "org.slf4j.");
  }

  @Test
  void listStartsNoLogging() throws Exception {
    Path tree = dir.resolve("wirt");
    Files.createDirectories(tree.resolve("info/vm/web"));
    Files.createDirectories(tree.resolve("command/vm/web"));
    Files.writeString(tree.resolve("info/vm/web/status.json"), "{\"state\": \"running\"}");
    List<String> loaded = loadedBy("wirt", "--tree", tree.toString(), "list");
    assertTrue(loaded.contains("org.wirt.wirt.ReadCommands$ListVms"), loaded.toString());
    assertNoneLoaded(loaded, "ch.qos.logback.");
    assertNoneLoaded(loaded, "org.slf4j.");
  }

  @Test
  void wirtctlVersionMakesNoJsonMapperAndStartsNoLogging() throws Exception {
    List<String> loaded = loadedBy("wirtctl", "--version");
    assertNoneLoaded(loaded, "com.fasterxml.jackson.databind.");
    assertNoneLoaded(loaded, "ch.qos.logback.");
  }

  /**
   * pom.xml compiles the programs' packages and Main with {@code -XDstringConcat=inline}: an
   * invokedynamic concatenation spins method handles at its first run, which the start-up archive
   * cannot hold (16 of them in {@code wirt list}).
   */
  @Test
  void theCliConcatenatesStringsWithoutInvokedynamic() throws Exception {
    Path classes = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    List<Path> files = new ArrayList<>();
    for (String program : List.of("cli", "wirt", "wirtctl", "control")) {
      try (Stream<Path> walk = Files.walk(classes.resolve("org/wirt/" + program))) {
        files.addAll(walk.filter(f -> f.toString().endsWith(".class")).toList());
      }
    }
    files.add(classes.resolve("org/wirt/Main.class"));
    assertTrue(files.size() > 20, files.toString());
    for (Path f : files) {
      String text = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
      assertFalse(text.contains("makeConcatWithConstants"), f + " concatenates with invokedynamic");
    }
  }

  private static void assertNoneLoaded(List<String> classes, String prefix) {
    List<String> found = classes.stream().filter(c -> c.startsWith(prefix))
        .collect(Collectors.toList());
    assertTrue(found.isEmpty(), found.size() + " classes of " + prefix + " loaded, the first: "
        + found.subList(0, Math.min(5, found.size())));
  }

  /** The classes a fresh JVM loads running {@code org.wirt.Main args}, which must exit 0. */
  private List<String> loadedBy(String... args) throws Exception {
    Path log = Files.createTempFile(dir, "classes", ".log");
    Path out = Files.createTempFile(dir, "run", ".out");
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xlog:class+load=info:file=" + log, "-cp", System.getProperty("java.class.path"),
        "org.wirt.Main"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile())
        .start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
    List<String> classes = new ArrayList<>();
    for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
      // [0.010s][info][class,load] java.lang.Object source: shared objects file
      String[] words = line.split(" ");
      if (words.length > 1) {
        classes.add(words[1]);
      }
    }
    return classes;
  }
}
