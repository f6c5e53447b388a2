package org.wirt.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.wirt.testing.RealUsers;
import org.wirt.testing.RealUsers.Exit;

/**
 * The class-data sharing archive of wirt and wirtctl (README "Start-up") for the built jar,
 * without installing anything: packaging/lib/update-cds-archive makes one the JVM maps, and the
 * wrappers' packaging/lib/cli.sh passes it only while it is newer than the jar and the JVM; a
 * missing, stale or broken archive costs speed, never a word on stderr or a failed command.
 * PackageTest checks the installed archive and wrappers.
 */
@Tag("package")
class CdsArchiveTest {
  private static final Path BASEDIR = Path.of(System.getProperty("wirt.basedir", "."));
  private static final Path JAR = BASEDIR.resolve("target/wirt.jar");
  private static final Path CLI_SH = BASEDIR.resolve("packaging/lib/cli.sh");

  @TempDir Path dir;

  @Test
  void theArchiveIsMappedAndHoldsTheCommandsClasses() throws Exception {
    Path jar = copyOfJar();
    Path archive = dir.resolve("cache/cli.jsa");
    Exit made = RealUsers.attemptAsRoot(
        BASEDIR.resolve("packaging/lib/update-cds-archive").toString(), jar.toString(),
        archive.toString());
    assertEquals(0, made.code(), made.toString());
    assertEquals("", made.stdout() + made.stderr());
    assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(archive)));
    try (var left = Files.list(archive.getParent())) {
      assertEquals(List.of(archive), left.toList(), "update-cds-archive leaves no temporary file");
    }

    List<String> opts = options(jar, archive);
    assertTrue(opts.contains("-XX:SharedArchiveFile=" + archive), opts.toString());
    // -Xshare:on makes an archive the JVM cannot map an error instead of a silent fallback.
    List<String> on = new ArrayList<>(opts);
    on.addAll(List.of("-Xshare:on", "-Xlog:class+load=info", "-jar", jar.toString(), "wirt",
        "--version"));
    Exit version = java(on);
    assertEquals(0, version.code(), version.toString());
    assertTrue(version.stdout().contains("\nwirt 0.1.0\n"), version.stdout());
    assertTrue(version.stdout().contains("org.wirt.wirt.WirtCommand source: shared objects file"),
        version.stdout());
    // The training ran them: the archive has them whether a command loads them or not.
    Set<String> classes = archived(jar, archive);
    for (String cls : List.of("org.wirt.Main", "org.wirt.wirt.WirtCommand", "picocli.CommandLine",
        "org.wirt.wirt.VmVerbs$Start", "org.wirt.wirt.ResultWaiter",
        "org.wirt.wirt.ReadCommands$ListVms", "com.fasterxml.jackson.databind.json.JsonMapper",
        "org.wirt.control.ControlClient", "sun.nio.fs.LinuxWatchService")) {
      assertTrue(classes.contains(cls), cls + " is not in the archive");
    }
  }

  @Test
  void aStaleMissingOrBrokenArchiveIsLeftOutOrIgnoredSilently() throws Exception {
    Path jar = copyOfJar();
    Path archive = dir.resolve("cli.jsa");
    assertFalse(options(jar, archive).toString().contains("SharedArchiveFile"), "missing");

    Exit made = RealUsers.attemptAsRoot(
        BASEDIR.resolve("packaging/lib/update-cds-archive").toString(), jar.toString(),
        archive.toString());
    assertEquals(0, made.code(), made.toString());
    // The jar replaced after the archive was made (an upgrade whose postinst did not run yet).
    Files.setLastModifiedTime(jar, FileTime.from(Instant.now().plusSeconds(60)));
    assertFalse(options(jar, archive).toString().contains("SharedArchiveFile"), "stale");

    // What the JVM does with an archive it cannot use, given anyway: runs without it, silently.
    for (byte[] content : List.of(Files.readAllBytes(archive), "not an archive".getBytes())) {
      Files.write(archive, content);
      List<String> cmd = new ArrayList<>(List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
          "-XX:-UsePerfData", "-Xshare:auto", "-XX:SharedArchiveFile=" + archive));
      cmd.addAll(List.of("-jar", jar.toString(), "wirt", "--version"));
      Exit version = java(cmd);
      assertEquals(new Exit(0, "wirt 0.1.0\n", ""), version);
    }
  }

  /** A jar of its own, whose time the test may change. */
  private Path copyOfJar() throws IOException {
    Path jar = dir.resolve("wirt.jar");
    Files.copy(JAR, jar, StandardCopyOption.COPY_ATTRIBUTES);
    Files.setLastModifiedTime(jar, FileTime.from(Instant.now().minusSeconds(60)));
    return jar;
  }

  /** The classes in the archive, as the JVM lists them. */
  private static Set<String> archived(Path jar, Path archive) throws IOException {
    List<String> cmd = new ArrayList<>(options(jar, archive));
    cmd.addAll(List.of("-Xshare:on", "-XX:+PrintSharedArchiveAndExit", "-XX:+PrintSharedDictionary",
        "-cp", jar.toString()));
    Exit e = java(cmd);
    assertEquals(0, e.code(), e.toString());
    Set<String> classes = new HashSet<>();
    Matcher m = Pattern.compile("(?m)^ *\\d+: (\\S+) ").matcher(e.stdout());
    while (m.find()) {
      classes.add(m.group(1));
    }
    return classes;
  }

  /** The JVM options packaging/lib/cli.sh gives for this jar and archive. */
  private static List<String> options(Path jar, Path archive) throws IOException {
    Exit e = RealUsers.attemptAsRoot("sh", "-c", ". \"$0\" && wirt_cli_setup \"$1\" \"$2\""
        + " && echo \"$wirt_java\" && echo \"$wirt_opts\"", CLI_SH.toString(), jar.toString(),
        archive.toString());
    assertEquals(0, e.code(), e.toString());
    return List.of(e.stdout().lines().toList().get(1).split(" "));
  }

  private static Exit java(List<String> options) throws IOException {
    Exit e = RealUsers.attemptAsRoot("sh", "-c", ". \"$0\" && echo \"$wirt_java\"",
        CLI_SH.toString());
    List<String> cmd = new ArrayList<>(List.of(e.stdout().strip()));
    cmd.addAll(options);
    return RealUsers.attemptAsRoot(cmd.toArray(String[]::new));
  }
}
