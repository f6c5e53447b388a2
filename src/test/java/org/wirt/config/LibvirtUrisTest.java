package org.wirt.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.LibvirtHypervisor;
import org.wirt.testing.RealUsers;

/** The allow-list of libvirt URIs (SPEC 8): what each refusal names. */
class LibvirtUrisTest {

  @ParameterizedTest
  @ValueSource(strings = {"qemu:///system", "qemu:///session", "test:///default",
      "qemu+unix:///system", "qemu:///system?socket=/run/libvirt/libvirt-sock",
      "qemu+unix:///system?socket=/run/libvirt/libvirt-sock",
      "qemu+ssh://host.example/system", "qemu+ssh://admin@host.example:2222/system?no_tty=1",
      "qemu+ssh://[fd00::1]/session", "qemu+tls://host.example/system",
      "qemu+tls://10.0.0.1:16514/system"})
  void accepts(String uri) {
    assertEquals(Optional.empty(), LibvirtUris.problem(uri));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
      "qemu+ext:///system?command=/home/eve/x | uses the transport 'ext', which runs a program as root",
      "qemu+ext:///system | uses the transport 'ext', which runs a program as root",
      "test+ext:///default?command=/x | uses the transport 'ext', which runs a program as root",
      "qemu+tcp://host/system | uses the transport 'tcp', which is neither authenticated nor encrypted without SASL; use qemu+tls or qemu+ssh",
      "qemu+libssh2://host/system | uses the transport 'libssh2', which wirt does not accept",
      "QEMU+EXT:///system | is not a libvirt URI of the form driver[+transport]://[host]/path[?parameters]",
      "lxc:///system | uses the driver 'lxc'; wirt drives qemu (and libvirt's test driver)",
      "xen:/// | uses the driver 'xen'; wirt drives qemu (and libvirt's test driver)",
      "qemu:///embed?root=/tmp/x | has the path '/embed'; a qemu URI ends in /system or /session",
      "test:///etc/shadow | is a test driver URI other than test:///default",
      "qemu://host/system | names the host 'host' without a transport (libvirt would use tls silently); write qemu+tls:// or qemu+ssh://",
      "qemu+unix://host/system | names a host, which the transport 'unix' does not take",
      "qemu+ssh:///system | uses the transport 'ssh' without a host",
      "qemu+ssh://host/system?command=/x | has the parameter 'command', which runs a program; the transport 'ssh' accepts keyfile, no_tty",
      "qemu+ssh://host/system?netcat=/x | has the parameter 'netcat', which runs a program; the transport 'ssh' accepts keyfile, no_tty",
      "qemu+ssh://host/system?proxy=native | has the parameter 'proxy', which runs a program; the transport 'ssh' accepts keyfile, no_tty",
      "qemu+ssh://host/system?no_tty=1;command=/x | has the parameter 'command', which runs a program; the transport 'ssh' accepts keyfile, no_tty",
      "qemu+ssh://host/system?no_verify=1 | has the parameter 'no_verify', which skips verifying the server; the transport 'ssh' accepts keyfile, no_tty",
      "qemu+ssh://host/system?socket=/x | has the parameter 'socket', a socket on the remote side; the transport 'ssh' accepts keyfile, no_tty",
      "qemu+ssh://host/system?name=qemu+ext:///x | has the parameter 'name', which changes what the remote side opens; the transport 'ssh' accepts keyfile, no_tty",
      "qemu+ssh://host/system?COMMAND=/x | has the parameter 'COMMAND'; the transport 'ssh' accepts keyfile, no_tty",
      "qemu+ssh://host/system?no_tty=yes | has no_tty=yes; it must be 0 or 1",
      "qemu+ssh://host/system?no_tty=1&no_tty=0 | has the parameter 'no_tty' twice",
      "qemu+ssh://host/system?keyfile=id | has keyfile=id; it must be an absolute, normalized path",
      "qemu+tls://host/system?no_verify=1 | has the parameter 'no_verify', which skips verifying the server; the transport 'tls' accepts only pkipath",
      "qemu+tls://user@host/system | has a user name, which qemu+tls does not take",
      "qemu+tls://host:99999/system | has the port 99999, above 65535",
      "qemu:///system?mode=legacy | has the parameter 'mode', which changes what the remote side opens; a local URI accepts only socket",
      "qemu:///system?foo=1 | has the parameter 'foo'; a local URI accepts only socket",
      "test:///default?socket=/run/libvirt/libvirt-sock | is a test driver URI other than test:///default",
      "qemu:///system?comm%61nd=/x | has a character outside letters, digits and . _ ~ : / ? & ; = @ + , [ ] - (percent escapes are refused: libvirt decodes them)",
      "qemu:///system#x | has a character outside letters, digits and . _ ~ : / ? & ; = @ + , [ ] -",
      "qemu:///system | ",
  })
  void refuses(String uri, String problem) {
    assertEquals(Optional.ofNullable(problem), LibvirtUris.problem(uri));
  }

  @Test
  void refusesASocketInADirectoryOthersMayChange(@TempDir Path dir) throws Exception {
    Path open = Files.createDirectory(dir.resolve("open"));
    Files.setPosixFilePermissions(open, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
    Path socket = open.resolve("sock");
    try (ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      s.bind(UnixDomainSocketAddress.of(socket));
      assertEquals(Optional.of("has socket=" + socket + ", which only root may own and change: "
          + open + " is writable by its group and others (mode 0777); wirtctl uses only "
          + "directories that root alone may change (chmod go-w " + open + ")"),
          LibvirtUris.problem("qemu:///system?socket=" + socket));
    }
  }

  @Test
  @Tag("root")
  void refusesASocketAUserOwns(@TempDir Path dir) throws Exception {
    try (RealUsers users = RealUsers.create()) {
      RealUsers.User eve = users.createUser();
      Path socket = eve.home().resolve("libvirt-sock");
      // eve's home: the directory is hers, so the socket in it could be anything she likes.
      assertEquals(Optional.of("has socket=" + socket + ", which only root may own and change: "
          + eve.home() + " is owned by uid " + eve.uid() + ", not by root; wirtctl uses only "
          + "directories that root alone may change (chown root " + eve.home() + ")"),
          LibvirtUris.problem("qemu:///system?socket=" + socket));
      Path rootOwned = Files.createDirectory(dir.resolve("d"));
      Files.setPosixFilePermissions(rootOwned, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
      Path hers = rootOwned.resolve("sock");
      try (ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
        s.bind(UnixDomainSocketAddress.of(hers));
        RealUsers.root("chown", eve.name(), hers.toString());
        assertEquals(Optional.of("has socket=" + hers + ", which only root may own and change: "
            + hers + " is owned by uid " + eve.uid() + ", not by root; only root's own socket is "
            + "accepted"), LibvirtUris.problem("qemu:///system?socket=" + hers));
      }
    }
  }

  @Test
  void theConfigurationNamesTheKeyThePartAndWhatIsAccepted() {
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("evil.json",
        "{\"libvirtUri\": \"qemu+ext:///system?command=/home/eve/x\"}"));
    assertEquals("evil.json: 'libvirtUri' is \"qemu+ext:///system?command=/home/eve/x\", which "
        + "uses the transport 'ext', which runs a program as root; accepted: " + LibvirtUris.ACCEPTED,
        e.getMessage());
  }

  @Test
  void noUriIsOpenedUnchecked(@TempDir Path dir) throws Exception {
    Path marker = dir.resolve("ran");
    Path program = dir.resolve("x");
    Files.writeString(program, "#!/bin/sh\ntouch " + marker + "\n");
    Files.setPosixFilePermissions(program, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    HypervisorException e = assertThrows(HypervisorException.class,
        () -> LibvirtHypervisor.open("qemu+ext:///system?command=" + program).close());
    assertTrue(!Files.exists(marker), "libvirt ran " + program);
    assertTrue(e.getMessage().startsWith("refusing to connect to libvirt: 'libvirtUri' is \"qemu+ext:"
        + "///system?command=" + program + "\", which uses the transport 'ext'"), e.getMessage());
  }
}
