package org.wirt.control;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.posix.Nss;
import org.wirt.posix.Passwd;
import org.wirt.threads.ThreadFailures;

/**
 * wirtd's control socket, {@code <stateDir>/control.sock}, for {@code wirtctl}. The socket file is
 * mode 0600 in the root-only state directory, and each peer's uid is checked ({@code SO_PEERCRED})
 * to be wirtd's own (root), so only root (directly or through wirtctl's sudo rule) talks to it.
 *
 * <p>The protocol ({@link Protocol}) is one JSON object per connection each way: {@code
 * {"command": "status"}} in, one line; the answer out, then the connection is closed. An answer
 * with {@code "error"} is a refusal. {@link ControlHandler} answers; {@link ControlClient} asks.
 */
public final class ControlSocket implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ControlSocket.class);
  public static final String FILE = Protocol.FILE;

  /** Answers one request; may take long ({@code drain} waits for running commands). */
  @FunctionalInterface
  public interface Handler {
    JsonNode handle(JsonNode request) throws Exception;
  }

  private final ServerSocketChannel server;
  private final Path path;
  private final Handler handler;
  private final Thread acceptor;
  private final int ownUid;

  private ControlSocket(ServerSocketChannel server, Path path, Handler handler, int ownUid) {
    this.server = Objects.requireNonNull(server, "server");
    this.path = Objects.requireNonNull(path, "path");
    this.handler = Objects.requireNonNull(handler, "handler");
    this.ownUid = ownUid;
    this.acceptor = new Thread(this::accept, "wirt-control");
    acceptor.setDaemon(true);
  }

  /**
   * Listens at {@code stateDir/control.sock}. A file left there by an earlier wirtd is removed:
   * the caller holds the instance lock, so no other wirtd is using it.
   */
  public static ControlSocket open(Path stateDir, Handler handler, int ownUid) throws IOException {
    Path path = stateDir.resolve(FILE);
    Files.deleteIfExists(path);
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(path));
    Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
    ControlSocket socket = new ControlSocket(server, path, handler, ownUid);
    socket.acceptor.start();
    return socket;
  }

  private void accept() {
    while (server.isOpen()) {
      SocketChannel client;
      try {
        client = server.accept();
      } catch (IOException e) {
        if (server.isOpen()) {
          log.warn("control socket accept failed path={}", path, e);
        }
        return;
      }
      ThreadFailures.process().turn("wirt-control", () -> {
        Thread t = new Thread(() -> serve(client), "wirt-control-client");
        t.setDaemon(true);
        t.start();
      });
    }
  }

  private void serve(SocketChannel client) {
    try (client) {
      UnixDomainPrincipal peer = client.getOption(ExtendedSocketOptions.SO_PEERCRED);
      int uid = Integer.parseInt(peer.user().getName().matches("\\d+") ? peer.user().getName()
          : String.valueOf(uidOf(peer.user().getName())));
      JsonNode answer;
      if (uid != ownUid) {
        log.warn("control socket: refused a client running as uid={}", uid);
        answer = Protocol.error("only root may talk to wirtd (use sudo wirtctl)");
      } else {
        answer = answer(readLine(client));
      }
      Protocol.write(client, answer);
    } catch (IOException | RuntimeException e) {
      log.warn("control socket client failed", e);
    } catch (Error e) {
      ThreadFailures.process().caught("wirt-control-client", e);
    }
  }

  private JsonNode answer(String line) {
    JsonNode request;
    try {
      request = Protocol.JSON.readTree(line);
    } catch (IOException e) {
      return Protocol.error("not a JSON request: " + e.getMessage());
    }
    if (request == null || !request.path("command").isTextual()) {
      return Protocol.error("a request is a JSON object with a \"command\"");
    }
    try {
      return handler.handle(request);
    } catch (Exception e) {
      log.warn("control command={} failed", request.path("command").asText(), e);
      return Protocol.error(e.getMessage() == null ? e.toString() : e.getMessage());
    }
  }

  private static String readLine(SocketChannel client) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(Protocol.MAX_REQUEST_BYTES);
    while (buf.hasRemaining()) {
      int n = client.read(buf);
      if (n < 0) {
        break;
      }
      byte[] seen = buf.array();
      boolean newline = false;
      for (int i = buf.position() - n; i < buf.position(); i++) {
        newline |= seen[i] == '\n';
      }
      if (newline) {
        break;
      }
    }
    return new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8).strip();
  }

  private static int uidOf(String name) {
    return Nss.system().user(name).map(Passwd::uid).orElse(-1);
  }

  @Override
  public void close() {
    try {
      server.close();
      Files.deleteIfExists(path);
    } catch (IOException e) {
      log.warn("control socket not removed path={}", path, e);
    }
  }
}
