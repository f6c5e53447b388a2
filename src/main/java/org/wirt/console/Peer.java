package org.wirt.console;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.util.Optional;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;
import org.wirt.tree.Identity;

/** Who is on the other end of a console connection, by the kernel's word ({@code SO_PEERCRED}). */
final class Peer {
  private Peer() {}

  /**
   * Returns why the peer may not use this user's console socket, or nothing when it is that user.
   * Root is refused too: an admin uses {@code virsh console}, not a user's socket.
   */
  static Optional<String> problem(SocketChannel client, Identity user) {
    UnixDomainPrincipal peer;
    try {
      peer = client.getOption(ExtendedSocketOptions.SO_PEERCRED);
    } catch (IOException | UnsupportedOperationException e) {
      return Optional.of("the peer's identity cannot be read (" + e.getMessage() + ")");
    }
    String name = peer.user().getName();
    if (!name.equals(user.user())) {
      return Optional.of("user " + name + " connected to the console socket of " + user.user()
          + "; only " + user.user() + " may use it");
    }
    return Optional.empty();
  }
}
