package org.wirt.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.wirt.Main;

/**
 * The training run of the class-data sharing archive that makes {@code wirt} and {@code wirtctl}
 * start fast (packaging/lib/update-cds-archive, README "Start-up"): runs the commands a user
 * types most, in one JVM, against a made-up tree in a fresh private temporary directory, with a
 * stand-in for wirtd that answers {@code start}. The JVM that runs it lists the classes they
 * load ({@code -XX:DumpLoadedClassList}); {@code -Xshare:dump} then archives those classes.
 *
 * <p>Nothing outside the temporary directory is read or written but the jar itself, and the
 * directory is removed at the end.
 */
public final class CdsTraining {
  private static final Duration ANSWER_WITHIN = Duration.ofSeconds(30);
  private static final Duration ANSWER_AFTER = Duration.ofMillis(300);

  private CdsTraining() {}

  public static void main(String[] args) throws Exception {
    // createTempDirectory makes it 0700 with a random name: nobody else can put anything in it.
    Path dir = Files.createTempDirectory("wirt-cds-");
    try {
      train(dir);
    } finally {
      deleteTree(dir);
    }
  }

  private static void train(Path dir) throws Exception {
    Path tree = dir.resolve("wirt");
    Files.createDirectories(tree.resolve("command/vm/web"));
    Files.createDirectories(tree.resolve("info/vm/web/results"));
    Files.createDirectories(tree.resolve("logs/vm"));
    Files.writeString(tree.resolve("info/wirtd.json"), "{\"running\": true, \"draining\": false,"
        + " \"staleAfterSeconds\": 155}");
    Files.writeString(tree.resolve("info/vm/web/status.json"), "{\"vm\": \"web\", \"state\":"
        + " \"shutoff\", \"vcpus\": 1, \"memoryMiB\": 512, \"autostart\": false, \"addresses\":"
        + " [{\"ip\": \"192.0.2.10\", \"prefix\": 24}]}");
    Files.writeString(tree.resolve("logs/history.log"), "{\"time\": \"2026-01-01T00:00:00.0Z\","
        + " \"vm\": \"web\", \"verb\": \"start\", \"result\": \"ok\", \"message\": \"started\"}\n");
    Files.writeString(tree.resolve("logs/vm/web.log"), "booted\n");
    Path config = dir.resolve("wirt.json");
    Files.writeString(config, "{\"stateDir\": \"" + dir + "\", \"treeDir\": \"wirt\"}");
    System.setProperty("user.home", dir.toString());
    String t = tree.toString();

    Thread wirtd = new Thread(() -> answerStarts(tree, Clock.systemUTC()), "cds-training-wirtd");
    wirtd.setDaemon(true);
    wirtd.start();
    for (List<String> args : List.of(
        List.of("wirt", "--version"),
        List.of("wirt", "--help"),
        List.of("wirt", "start", "--help"),
        List.of("wirt", "--tree", t, "list"),
        List.of("wirt", "--config", config.toString(), "list"),
        List.of("wirt", "--tree", t, "list", "--json"),
        List.of("wirt", "--tree", t, "status", "web"),
        List.of("wirt", "--tree", t, "history"),
        List.of("wirt", "--tree", t, "log", "web"),
        List.of("wirt", "--tree", t, "quota"),
        List.of("wirt", "--tree", t, "start", "--timeout", "20", "web"),
        List.of("wirt", "--tree", t, "stop", "--no-wait", "web"),
        List.of("wirt", "--tree", t, "start", "nothere"),
        List.of("wirtctl", "--version"),
        List.of("wirtctl", "--help"),
        List.of("wirtctl", "--config", config.toString(), "status"))) {
      Main.run(new PrintWriter(Writer.nullWriter()), new PrintWriter(Writer.nullWriter()),
          args.toArray(String[]::new));
    }
  }

  /**
   * What wirtd does for a {@code start}, in short: the command file goes, a result appears, after
   * a while: late enough that wirt has stopped looking for it and watches (ResultWaiter), so that
   * both ways of waiting are trained.
   */
  private static void answerStarts(Path tree, Clock clock) {
    Path commands = tree.resolve("command/vm/web");
    Instant until = clock.instant().plus(ANSWER_WITHIN);
    try {
      while (clock.instant().isBefore(until)) {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(commands, "start.*")) {
          for (Path command : s) {
            Thread.sleep(ANSWER_AFTER.toMillis());
            String tag = command.getFileName().toString().substring("start.".length());
            Path results = tree.resolve("info/vm/web/results");
            Path temp = results.resolve("." + tag + ".tmp");
            Files.writeString(temp, "{\"result\": \"ok\", \"message\": \"started\"}",
                StandardCharsets.UTF_8);
            Files.move(temp, results.resolve(tag + ".json"), StandardCopyOption.ATOMIC_MOVE);
            Files.delete(command);
          }
        }
        Thread.sleep(5);
      }
    } catch (IOException e) {
      // The training goes on without answers: wirt start then waits in vain and times out.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    Files.walkFileTree(dir, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.delete(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
        if (e != null) {
          throw e;
        }
        Files.delete(d);
        return FileVisitResult.CONTINUE;
      }
    });
  }
}
