package org.wirt.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.wirt.command.Names;
import org.wirt.config.ConsoleConfig;
import org.wirt.testing.RealUsers;
import org.wirt.testing.RealUsers.User;

/**
 * The console socket's doors, with real users and no libvirt console behind them: the directory
 * is the user's alone, another user cannot connect, root's connection is refused by the peer
 * check, a VM that is not the user's is refused, and every refusal is audited.
 */
@Tag("root")
class ConsoleServerTest {

  @Test
  void onlyTheUserGetsInAndOnlyToTheirOwnVms() throws Exception {
    Path runDir = Files.createTempDirectory("wirt-console-run");
    ConsoleConfig config = new ConsoleConfig(runDir, Duration.ofMinutes(1), Duration.ofMinutes(5),
        4, runDir.resolve("logs"), Duration.ofSeconds(3));
    List<String> audit = Collections.synchronizedList(new ArrayList<>());
    try (RealUsers users = RealUsers.create()) {
      User alice = users.createUser();
      User bob = users.createUser();
      UUID web = UUID.randomUUID();
      try (ConsoleServer server = new ConsoleServer(config, "test:///default",
          (user, vm) -> user.user().equals(alice.name()) && vm.equals("web")
              ? Optional.of(new ConsoleServer.Target(web, alice.name() + "-web"))
              : Optional.empty(),
          (user, vm, event, message) -> audit.add(user + " " + vm + " " + event + ": " + message),
          Clock.systemUTC())) {
        server.serve(alice.identity());
        Path dir = runDir.resolve(alice.name());
        Path socket = dir.resolve(ConsoleServer.SOCKET);
        assertEquals(alice.uid(), Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS));
        assertEquals(0700, (int) Files.getAttribute(dir, "unix:mode", LinkOption.NOFOLLOW_LINKS)
            & 07777);
        assertEquals(alice.uid(), Files.getAttribute(socket, "unix:uid",
            LinkOption.NOFOLLOW_LINKS));

        RealUsers.Exit bobs = users.attempt(bob, "python3", "-c", client(socket, "console web"));
        assertTrue(bobs.stderr().contains("PermissionError"), bobs.stderr());

        assertEquals("refused user root connected to the console socket of " + alice.name()
            + "; only " + alice.name() + " may use it\n", asRoot(socket, "console web\n"));

        assertEquals("refused you have no VM 'db'; `wirt list` shows yours",
            users.run(alice, "python3", "-c", client(socket, "console db")).stdout().strip());
        String bad = users.run(alice, "python3", "-c", client(socket, "console ../x")).stdout();
        assertEquals("refused '../x' is not a VM name; a VM name is "
            + Names.VM_RULE, bad.strip());
        String noConsole = users.run(alice, "python3", "-c", client(socket, "console web"))
            .stdout().strip();
        assertTrue(noConsole.startsWith("refused cannot open the console of VM 'web' (libvirt: "
            + "cannot look up domain " + web), noConsole);
        assertTrue(noConsole.endsWith("is it running? `wirt start web` boots it"), noConsole);

        assertTrue(audit.contains(alice.name() + " web console-refused: user root connected to "
            + "the console socket of " + alice.name() + "; only " + alice.name()
            + " may use it"), audit.toString());
        assertTrue(audit.contains(alice.name() + " db console-refused: you have no VM 'db'; "
            + "`wirt list` shows yours"), audit.toString());
        assertEquals(0, server.open());

        server.forget(alice.name());
        assertFalse(Files.exists(dir, LinkOption.NOFOLLOW_LINKS));
        server.serve(alice.identity());
        assertTrue(Files.exists(socket, LinkOption.NOFOLLOW_LINKS));
      }
      assertFalse(Files.exists(runDir.resolve(alice.name()), LinkOption.NOFOLLOW_LINKS),
          "close removes the users' directories");
    } finally {
      RealUsers.root("rm", "-rf", runDir.toString());
    }
  }

  /** A Python client that sends one line and prints the answer (the users have no JVM of ours). */
  private static String client(Path socket, String line) {
    return "import socket,sys\n"
        + "s=socket.socket(socket.AF_UNIX)\n"
        + "s.connect('" + socket + "')\n"
        + "s.sendall(b'" + line + "\\n')\n"
        + "out=b''\n"
        + "while True:\n"
        + "  b=s.recv(512)\n"
        + "  if not b: break\n"
        + "  out+=b\n"
        + "sys.stdout.write(out.decode())\n";
  }

  private static String asRoot(Path socket, String line) throws Exception {
    try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      c.connect(UnixDomainSocketAddress.of(socket));
      c.write(ByteBuffer.wrap(line.getBytes(StandardCharsets.US_ASCII)));
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      ByteBuffer b = ByteBuffer.allocate(512);
      while (c.read(b.clear()) > 0) {
        all.write(b.array(), 0, b.position());
      }
      return all.toString(StandardCharsets.UTF_8);
    }
  }
}
