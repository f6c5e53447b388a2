package org.wirt.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Objects;

/** wirtctl's end of wirtd's control socket ({@link ControlSocket}): one request, one answer. */
public final class ControlClient {
  private final Path socket;

  /** A client of the wirtd whose state directory is {@code stateDir}. */
  public ControlClient(Path stateDir) {
    this.socket = Objects.requireNonNull(stateDir, "stateDir").resolve(Protocol.FILE);
  }

  /** A request for {@code command}, to which the caller adds the command's arguments. */
  public static ObjectNode request(String command) {
    ObjectNode n = Protocol.JSON.createObjectNode();
    n.put("command", command);
    return n;
  }

  /** Sends one request and returns the answer; an answer with "error" becomes {@link Refused}. */
  public JsonNode ask(ObjectNode request) throws DaemonDown, Refused, IOException {
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      try {
        ch.connect(UnixDomainSocketAddress.of(socket));
      } catch (SocketException | NoSuchFileException e) {
        if (String.valueOf(e.getMessage()).contains("Permission denied")) {
          throw new DaemonDown("cannot reach " + socket + ": permission denied; run wirtctl as"
              + " root (sudo wirtctl)");
        }
        throw new DaemonDown("wirtd is not running (nothing listens on " + socket + ": "
            + e.getMessage() + "); start it: systemctl start wirtd");
      } catch (AccessDeniedException e) {
        throw new DaemonDown("cannot reach " + socket + ": permission denied; run wirtctl as root"
            + " (sudo wirtctl)");
      }
      Protocol.write(ch, request);
      ByteArrayOutputStream in = new ByteArrayOutputStream();
      ByteBuffer buf = ByteBuffer.allocate(65536);
      while (ch.read(buf) >= 0) {
        in.write(buf.array(), 0, buf.position());
        buf.clear();
      }
      JsonNode answer = Protocol.JSON.readTree(in.toString(StandardCharsets.UTF_8));
      if (answer == null) {
        throw new DaemonDown("wirtd closed the connection without an answer");
      }
      if (answer.has("error")) {
        throw new Refused(answer.get("error").asText());
      }
      return answer;
    } catch (SocketException e) {
      throw new DaemonDown("lost the connection to wirtd at " + socket + ": " + e.getMessage());
    }
  }

  /** Nothing answers on the socket, or the caller may not reach it; the message says which. */
  public static final class DaemonDown extends Exception {
    DaemonDown(String message) {
      super(message);
    }
  }

  /** wirtd answered with a refusal; the message is its reason. */
  public static final class Refused extends Exception {
    Refused(String message) {
      super(message);
    }
  }
}
