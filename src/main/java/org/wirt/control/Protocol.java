package org.wirt.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * The control socket's protocol, the same at both ends: one JSON object per connection each way,
 * each on one line. A request is {@code {"command": "status", ...}}; an answer with {@code
 * "error"} is a refusal. Apart from ControlSocket so that wirtctl loads neither its logging nor
 * its server code.
 */
final class Protocol {
  /** The socket's name in wirtd's state directory. */
  static final String FILE = "control.sock";
  /** The longest request wirtd reads. */
  static final int MAX_REQUEST_BYTES = 65536;
  static final JsonMapper JSON = JsonMapper.builder().build();

  private Protocol() {}

  /** Writes {@code message} and its newline, all of it. */
  static void write(SocketChannel channel, JsonNode message) throws IOException {
    ByteBuffer out = ByteBuffer.wrap((JSON.writeValueAsString(message) + "\n")
        .getBytes(StandardCharsets.UTF_8));
    while (out.hasRemaining()) {
      channel.write(out);
    }
  }

  /** An answer that refuses, with its reason. */
  static ObjectNode error(String message) {
    ObjectNode n = JSON.createObjectNode();
    n.put("error", message);
    return n;
  }
}
