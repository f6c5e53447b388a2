package org.wirt.console;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * The console socket's protocol, both ends: the client's first line ({@link ConsoleRequest}),
 * the server's answer ({@code ok <text>} or {@code refused <text>}, one line), then the console's
 * raw bytes both ways until either side closes.
 */
final class Wire {
  /** A request longer than this is refused: a VM name and a word. */
  static final int MAX_LINE = 256;
  /** A client that has not sent its request after this long is cut off. */
  static final long HELLO_SECONDS = 10;
  static final String OK = "ok ";
  static final String REFUSED = "refused ";

  private Wire() {}

  /** Reads the first line, byte by byte (nothing after it may be consumed). */
  static ConsoleRequest readRequest(SocketChannel client) throws IOException, ConsoleRequest.Invalid {
    return ConsoleRequest.parse(readLine(client));
  }

  /** Reads one line of at most {@link #MAX_LINE} bytes, without its newline. */
  static String readLine(SocketChannel channel) throws IOException, ConsoleRequest.Invalid {
    ByteBuffer one = ByteBuffer.allocate(1);
    StringBuilder line = new StringBuilder();
    while (true) {
      one.clear();
      if (channel.read(one) < 0) {
        throw new IOException("closed before the end of the line");
      }
      char c = (char) (one.get(0) & 0xff);
      if (c == '\n') {
        return line.toString();
      }
      if (line.length() >= MAX_LINE) {
        throw new ConsoleRequest.Invalid("the first line is longer than " + MAX_LINE
            + " bytes; send 'console <vm>'");
      }
      line.append(c);
    }
  }

  /** Writes a whole text. */
  static void write(SocketChannel channel, String text) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    while (b.hasRemaining()) {
      channel.write(b);
    }
  }

  /** Tells the client why not and closes; a client already gone is let be. */
  static void refuse(SocketChannel client, String why) {
    try (client) {
      write(client, REFUSED + why.replace('\n', ' ') + "\n");
    } catch (IOException e) {
      // the client left; the refusal is logged by the caller where it matters
    }
  }
}
