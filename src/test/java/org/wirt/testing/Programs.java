package org.wirt.testing;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Runs wirt's programs ({@code wirt}, {@code wirtctl}, {@code wirtd}) as separate processes, from
 * this build's classes. Test users cannot read root's Maven repository, so the class path is
 * copied once to a world-readable directory, as an installed jar would be.
 */
public final class Programs {
  private static String classPath;

  private Programs() {}

  /** The command line that runs {@code program} with {@code args}, readable by any user. */
  public static synchronized List<String> command(String program, String... args)
      throws IOException {
    if (classPath == null) {
      classPath = share();
    }
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto",
        "-cp", classPath, "org.wirt.Main", program));
    cmd.addAll(List.of(args));
    return cmd;
  }

  /**
   * The command line that runs {@code program} with {@code args} as root, from the test's own
   * class path, with {@code jvmOptions} (e.g. {@code -Xmx64m}) before the class path.
   */
  public static List<String> asRoot(List<String> jvmOptions, String program, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmOptions);
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "org.wirt.Main", program));
    cmd.addAll(List.of(args));
    return cmd;
  }

  private static String share() throws IOException {
    Path shared = Files.createTempDirectory("wirt-test-classpath");
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        RealUsers.root("rm", "-rf", shared.toString());
      } catch (IOException | AssertionError e) {
        // the JVM is ending; /tmp is cleaned eventually
      }
    }));
    List<String> entries = new ArrayList<>();
    int i = 0;
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      Path from = Path.of(entry);
      if (!Files.exists(from) || from.toString().contains("test-classes")) {
        continue;
      }
      Path to = shared.resolve(i++ + "-" + from.getFileName());
      if (Files.isDirectory(from)) {
        RealUsers.root("cp", "-r", from.toString(), to.toString());
      } else {
        Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
      }
      entries.add(to.toString());
    }
    RealUsers.root("chmod", "-R", "a+rX", shared.toString());
    try (Stream<Path> s = Files.list(shared)) {
      if (s.findAny().isEmpty()) {
        throw new IOException("no class path entries to share");
      }
    }
    return String.join(File.pathSeparator, entries);
  }
}
