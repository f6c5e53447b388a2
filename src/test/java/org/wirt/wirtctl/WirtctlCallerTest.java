package org.wirt.wirtctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.wirt.cli.ExitCode;
import org.wirt.config.ConfigException;
import org.wirt.config.ConfigLoader;
import org.wirt.posix.Nss;
import org.wirt.testing.RealUsers;
import org.wirt.testing.RealUsers.User;

/** wirtctl run through sudo is not a configuration loader (SPEC 8). */
@Tag("root")
class WirtctlCallerTest {
  @TempDir Path dir;

  private record Run(ExitCode code, String out, String err) {}

  private static Run wirtctl(Caller caller, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    ExitCode code = WirtctlCommand.run(caller, new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void aCallerThroughSudoCannotNameAConfiguration() throws Exception {
    try (RealUsers users = RealUsers.create()) {
      User eve = users.createUser();
      Path marker = eve.home().resolve("root-was-here");
      Path program = eve.home().resolve("x");
      users.sh(eve, "printf '#!/bin/sh\\nid -u > " + marker + "\\n' > " + program + " && chmod 755 " + program);
      Path evil = eve.home().resolve("evil.json");
      users.sh(eve, "printf '{\"libvirtUri\": \"qemu+ext:///system?command=" + program + "\"}' > " + evil);
      Caller sudo = Caller.fromProcess(Map.of("SUDO_UID", Integer.toString(eve.uid()),
          "SUDO_GID", Integer.toString(eve.gid()), "SUDO_USER", eve.name()), Nss.system());
      assertEquals(new Caller(eve.identity(), true), sudo);
      for (String[] command : new String[][] {{"status"}, {"image", "list"},
          {"assign", "d", eve.name()}, {"image", "import", "x", "/etc/shadow"},
          {"migrate-tree", eve.name()}}) {
        String[] args = new String[command.length + 2];
        args[0] = "--config";
        args[1] = evil.toString();
        System.arraycopy(command, 0, args, 2, command.length);
        Run run = wirtctl(sudo, args);
        assertEquals(ExitCode.CONFIG, run.code(), run.toString());
        assertEquals("wirtctl: --config " + evil + " is refused: run through sudo (or by anyone but "
            + "root), wirtctl reads only /etc/wirt/wirt.json, which root owns; run it as root itself "
            + "to use another file\n", run.err().replace("wirtctl image: ", "wirtctl: "));
        assertFalse(Files.exists(marker), "root ran " + program);
      }
      // Root itself may: and the URI it names is refused all the same.
      Run root = wirtctl(Caller.root(Nss.system()), "--config", evil.toString(), "image", "list");
      assertEquals(ExitCode.CONFIG, root.code(), root.toString());
      assertTrue(root.err().contains("'libvirtUri' is \"qemu+ext:///system?command=" + program
          + "\", which uses the transport 'ext'"), root.err());
      assertFalse(Files.exists(marker), "root ran " + program);
    }
  }

  @Test
  void whoTheCallerIs() throws Exception {
    Nss nss = Nss.system();
    assertEquals(Caller.root(nss), Caller.fromProcess(Map.of(), nss));
    assertEquals(Caller.root(nss), Caller.fromProcess(Map.of("SUDO_UID", "0"), nss));
    Caller odd = Caller.fromProcess(Map.of("SUDO_UID", "x1"), nss);
    assertTrue(odd.restricted());
    assertEquals(65534, odd.identity().uid());
  }

  @Test
  void theConfigurationReadUnderSudoIsRootsAlone() throws Exception {
    try (RealUsers users = RealUsers.create()) {
      User eve = users.createUser();
      Path etc = Files.createDirectory(dir.resolve("etc"));
      Path file = etc.resolve("wirt.json");
      Files.writeString(file, "{\"libvirtUri\": \"test:///default\"}");
      assertEquals("test:///default", ConfigLoader.loadTrusted(file).libvirtUri());

      RealUsers.root("chown", eve.name(), file.toString());
      assertEquals(file + " is owned by uid " + eve.uid() + ", not by root; only a file root owns "
          + "and alone may change is accepted (chown root " + file + ")", refused(file));
      RealUsers.root("chown", "root", file.toString());
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-r--"));
      assertEquals(file + " is writable by its group (mode 0664); only a file root alone may "
          + "change is accepted (chmod go-w " + file + ")", refused(file));
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
      RealUsers.root("chmod", "1777", etc.toString());
      assertEquals(etc + " is writable by its group and others (mode 1777); wirtctl uses only "
          + "directories that root alone may change (chmod go-w " + etc + ")", refused(file));
      Files.setPosixFilePermissions(etc, PosixFilePermissions.fromString("rwxr-xr-x"));
      RealUsers.root("chown", eve.name(), etc.toString());
      assertTrue(refused(file).startsWith(etc + " is owned by uid " + eve.uid() + ", not by root"));
      RealUsers.root("chown", "root", etc.toString());
      Path link = dir.resolve("link.json");
      Files.createSymbolicLink(link, file);
      assertEquals(link + " is a symbolic link; wirtctl follows no links here: give the path it "
          + "points to (realpath " + link + ")", refused(link));
      Path fifo = etc.resolve("fifo.json");
      RealUsers.root("mkfifo", fifo.toString());
      assertEquals(fifo + " is a FIFO; a regular file is needed", refused(fifo));
    }
  }

  private static String refused(Path file) {
    return assertThrows(ConfigException.class, () -> ConfigLoader.loadTrusted(file)).getMessage();
  }

  @Test
  void loaderVariablesAreRefused() {
    assertEquals(Optional.of("JAVA_TOOL_OPTIONS, LD_PRELOAD are set: run through sudo, wirtctl "
        + "takes no loader or Java settings from its caller; run /usr/sbin/wirtctl, which starts "
        + "Java with a clean environment"), AdminEnvironment.refusal(Map.of("LD_PRELOAD", "/x.so",
            "JAVA_TOOL_OPTIONS", "-javaagent:/x.jar", "LIBVIRT_DEFAULT_URI", "qemu+ext:///")));
    assertEquals(Optional.empty(), AdminEnvironment.refusal(Map.of("LIBVIRT_DEFAULT_URI", "x")));
  }
}
