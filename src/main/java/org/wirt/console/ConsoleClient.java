package org.wirt.console;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * The user's end of a console: connects to {@code <runDir>/<user>/console.sock}, asks for the VM,
 * then copies the terminal to the guest and the guest to the terminal until {@code Ctrl-]} (as in
 * {@code virsh console}), the end of input, or wirtd closing it.
 */
public final class ConsoleClient {
  /** Ctrl-], the byte that detaches. */
  static final int DETACH = 0x1d;

  /** How a console ended. */
  public enum End { DETACHED, CLOSED_BY_WIRTD, REFUSED, UNREACHABLE }

  private final Path socket;
  private final PrintWriter err;

  public ConsoleClient(Path runDir, String user, PrintWriter err) {
    this.socket = Objects.requireNonNull(runDir, "runDir").resolve(user).resolve(
        ConsoleServer.SOCKET);
    this.err = Objects.requireNonNull(err, "err");
  }

  /**
   * Attaches {@code in} and {@code out} to the VM's console.
   *
   * @param onConnected run once wirtd said yes, before any byte is relayed (puts the terminal
   *     in raw mode)
   */
  public End attach(String vm, boolean force, InputStream in, OutputStream out,
      Runnable onConnected) throws IOException {
    SocketChannel channel;
    try {
      channel = SocketChannel.open(StandardProtocolFamily.UNIX);
      channel.connect(UnixDomainSocketAddress.of(socket));
    } catch (AccessDeniedException e) {
      err.println("wirt console: " + socket + ": permission denied; it is another user's console "
          + "socket, yours is under your own user name");
      return End.UNREACHABLE;
    } catch (IOException e) {
      err.println("wirt console: cannot connect to " + socket + " (" + e.getMessage() + "); is "
          + "wirtd running, and are you a member of its group? It makes the socket within "
          + "seconds of your ~/wirt appearing");
      return End.UNREACHABLE;
    }
    try (channel) {
      Wire.write(channel, new ConsoleRequest(vm, force).line());
      String answer;
      try {
        answer = Wire.readLine(channel);
      } catch (ConsoleRequest.Invalid e) {
        err.println("wirt console: wirtd's answer is too long: " + e.getMessage());
        return End.REFUSED;
      }
      if (!answer.startsWith(Wire.OK)) {
        err.println("wirt console: " + (answer.startsWith(Wire.REFUSED)
            ? answer.substring(Wire.REFUSED.length()) : answer));
        return End.REFUSED;
      }
      err.println("wirt console: " + answer.substring(Wire.OK.length()));
      err.flush();
      onConnected.run();
      // Whichever ends first ends the console: the user (Ctrl-], end of input) or wirtd. Both
      // copies run on daemon threads, because a read of the terminal cannot be interrupted.
      CompletableFuture<End> end = new CompletableFuture<>();
      Thread fromGuest = new Thread(() -> {
        guestToTerminal(channel, out);
        end.complete(End.CLOSED_BY_WIRTD);
      }, "wirt-console-out");
      Thread toGuest = new Thread(() -> end.complete(terminalToGuest(in, channel)
          ? End.DETACHED : End.CLOSED_BY_WIRTD), "wirt-console-in");
      fromGuest.setDaemon(true);
      toGuest.setDaemon(true);
      fromGuest.start();
      toGuest.start();
      try {
        return end.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return End.DETACHED;
      } catch (ExecutionException e) {
        throw new IOException(e.getCause());
      }
    }
  }

  /** Returns true when the user detached (Ctrl-] or end of input), false when wirtd closed. */
  private static boolean terminalToGuest(InputStream in, SocketChannel channel) {
    byte[] buffer = new byte[1024];
    try {
      while (true) {
        int n = in.read(buffer);
        if (n < 0) {
          return true;
        }
        int detach = indexOf(buffer, n, DETACH);
        ByteBuffer b = ByteBuffer.wrap(buffer, 0, detach < 0 ? n : detach);
        while (b.hasRemaining()) {
          channel.write(b);
        }
        if (detach >= 0) {
          return true;
        }
      }
    } catch (IOException e) {
      return false;
    }
  }

  private static void guestToTerminal(SocketChannel channel, OutputStream out) {
    ByteBuffer b = ByteBuffer.allocate(4096);
    try {
      while (channel.read(b.clear()) > 0) {
        out.write(b.array(), 0, b.position());
        out.flush();
      }
    } catch (IOException e) {
      // closed: by the user detaching, or by wirtd, whose last line said why
    }
  }

  static int indexOf(byte[] buffer, int length, int value) {
    for (int i = 0; i < length; i++) {
      if ((buffer[i] & 0xff) == value) {
        return i;
      }
    }
    return -1;
  }
}
