package org.wirt.console;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.config.ConsoleConfig;
import org.wirt.posix.FsIdentity;
import org.wirt.threads.ThreadFailures;
import org.wirt.tree.Identity;
import org.wirt.virconsole.ConsoleStream;

/**
 * wirtd's side of {@code wirt console}: a socket per served user, {@code
 * <runDir>/<user>/console.sock}, in a directory that user owns with mode 0700, so the kernel lets
 * nobody else reach it; and on every connection the peer's identity ({@code SO_PEERCRED}) is
 * checked again to be that user, and the VM to be theirs, before anything is relayed.
 *
 * <p>The socket is bound with the user's filesystem identity (SPEC 8): it is theirs, and a link
 * they plant in their directory is never followed by root. One thread accepts for every user;
 * each connection then gets its own threads ({@link ConsoleSession}), at most {@code sessions}
 * over all users and one per VM.
 */
public final class ConsoleServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ConsoleServer.class);
  /** The socket's name in the user's directory. */
  public static final String SOCKET = "console.sock";
  /** At most this many connections of one user may be saying which VM they want at a time. */
  static final int PENDING_PER_USER = 4;

  /** Finds the user's VM: its domain's UUID and name, if the user owns one by that name. */
  @FunctionalInterface
  public interface Vms {
    Optional<Target> find(Identity user, String vm);
  }

  /** A VM a console may be opened to. */
  public record Target(UUID uuid, String domain) {}

  /** Writes one line of root's audit log. */
  @FunctionalInterface
  public interface Audit {
    void note(String user, String vm, String event, String message);
  }

  private final ConsoleConfig config;
  private final String libvirtUri;
  private final Vms vms;
  private final Audit audit;
  private final Clock clock;
  private final Selector selector;
  private final Queue<Listener> toRegister = new ConcurrentLinkedQueue<>();
  private final Map<String, Listener> listeners = new ConcurrentHashMap<>();
  private final Map<UUID, ConsoleSession> sessions = new ConcurrentHashMap<>();
  private final Map<String, Integer> pending = new ConcurrentHashMap<>();
  private final ThreadFailures failures = ThreadFailures.process();
  private final ScheduledExecutorService timer = failures.executor("wirt-console-timer");
  private final Thread acceptor;

  private record Listener(Identity user, ServerSocketChannel channel) {}

  public ConsoleServer(ConsoleConfig config, String libvirtUri, Vms vms, Audit audit, Clock clock)
      throws IOException {
    this.config = Objects.requireNonNull(config, "config");
    this.libvirtUri = Objects.requireNonNull(libvirtUri, "libvirtUri");
    this.vms = Objects.requireNonNull(vms, "vms");
    this.audit = Objects.requireNonNull(audit, "audit");
    this.clock = Objects.requireNonNull(clock, "clock");
    Files.createDirectories(config.runDir());
    Files.setPosixFilePermissions(config.runDir(), PosixFilePermissions.fromString("rwxr-xr-x"));
    this.selector = Selector.open();
    this.acceptor = new Thread(this::accept, "wirt-console-accept");
    acceptor.setDaemon(true);
    acceptor.setUncaughtExceptionHandler(failures.uncaught());
    acceptor.start();
    long check = Math.max(1, Math.min(config.idle().toSeconds(), 10));
    timer.scheduleWithFixedDelay(failures.guard("wirt-console-timer", this::enforceLimits), check,
        check, TimeUnit.SECONDS);
  }

  /**
   * Makes sure the user's console socket exists (every sweep calls this; it costs a map lookup
   * once the socket stands).
   */
  public void serve(Identity user) {
    Listener current = listeners.get(user.user());
    if (current != null && current.user().uid() == user.uid() && current.channel().isOpen()) {
      return;
    }
    try {
      Listener made = listen(user);
      Listener old = listeners.put(user.user(), made);
      if (old != null) {
        old.channel().close();
      }
      toRegister.add(made);
      selector.wakeup();
    } catch (IOException e) {
      log.warn("cannot make the console socket user={} dir={}", user.user(),
          config.runDir().resolve(user.user()), e);
    }
  }

  /** Stops serving a user who left the group: their socket goes, their consoles end. */
  public void forget(String user) {
    Listener old = listeners.remove(user);
    if (old != null) {
      close(old.channel());
      remove(old.user());
    }
    for (ConsoleSession s : sessions.values()) {
      if (s.user().user().equals(user)) {
        s.end("you are no longer a member of wirt's group");
      }
    }
  }

  /** Returns how many consoles are open now. */
  public int open() {
    return sessions.size();
  }

  private Listener listen(Identity user) throws IOException {
    Path dir = userDirectory(user);
    Path socket = dir.resolve(SOCKET);
    ServerSocketChannel channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    try (FsIdentity.Scope as = FsIdentity.assume(user.uid(), user.gid(), user.groups())) {
      // As the user, in their own directory: a name they planted is theirs to lose, and bind
      // never follows a link.
      Files.deleteIfExists(socket);
      channel.bind(UnixDomainSocketAddress.of(socket));
    } catch (IOException e) {
      channel.close();
      throw e;
    }
    channel.configureBlocking(false);
    log.info("console socket ready user={} path={}", user.user(), socket);
    return new Listener(user, channel);
  }

  /**
   * Returns {@code <runDir>/<user>}, made by root (the parent is root's, so nobody else can plant
   * anything there) and given to the user with mode 0700. One left by another uid of the same
   * name, or with other permissions, is removed and made again.
   */
  private Path userDirectory(Identity user) throws IOException {
    Path dir = config.runDir().resolve(user.user());
    if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      boolean fits = Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)
          && (int) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS) == user.uid()
          && ((int) Files.getAttribute(dir, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777)
              == 0700;
      if (fits) {
        return dir;
      }
      log.warn("replacing console directory dir={} of user={}", dir, user.user());
      try (var entries = Files.list(dir)) {
        for (Path p : (Iterable<Path>) entries::iterator) {
          Files.deleteIfExists(p);
        }
      } catch (java.nio.file.NotDirectoryException e) {
        // a file or a link: deleted below
      }
      Files.delete(dir);
    }
    Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(
        PosixFilePermissions.fromString("rwx------")));
    Files.setAttribute(dir, "unix:gid", user.gid(), LinkOption.NOFOLLOW_LINKS);
    Files.setAttribute(dir, "unix:uid", user.uid(), LinkOption.NOFOLLOW_LINKS);
    return dir;
  }

  private void accept() {
    try {
      while (selector.isOpen()) {
        for (Listener l; (l = toRegister.poll()) != null; ) {
          if (l.channel().isOpen()) {
            l.channel().register(selector, SelectionKey.OP_ACCEPT, l);
          }
        }
        selector.select();
        Set<SelectionKey> ready = selector.selectedKeys();
        for (SelectionKey key : ready) {
          Listener l = (Listener) key.attachment();
          try {
            SocketChannel client = l.channel().accept();
            if (client != null) {
              admit(l.user(), client);
            }
          } catch (IOException e) {
            key.cancel();
            log.warn("console accept failed user={}", l.user().user(), e);
          }
        }
        ready.clear();
      }
    } catch (ClosedSelectorException e) {
      // closing
    } catch (IOException e) {
      log.error("console acceptor stopped", e);
    }
  }

  /** Hears the connection's request on a thread of its own, a few per user at most. */
  private void admit(Identity user, SocketChannel client) throws IOException {
    client.configureBlocking(true);
    if (pending.merge(user.user(), 1, Integer::sum) > PENDING_PER_USER) {
      pending.merge(user.user(), -1, Integer::sum);
      Wire.refuse(client, "too many console connections of yours are starting at once");
      return;
    }
    Thread t = new Thread(() -> {
      try {
        hear(user, client);
      } finally {
        pending.merge(user.user(), -1, Integer::sum);
      }
    }, "wirt-console-hello");
    t.setDaemon(true);
    t.setUncaughtExceptionHandler(failures.uncaught());
    t.start();
  }

  private void hear(Identity user, SocketChannel client) {
    // A client that never says what it wants is cut off, not waited for.
    var cutOff = timer.schedule(() -> close(client), Wire.HELLO_SECONDS, TimeUnit.SECONDS);
    ConsoleRequest request;
    try {
      request = Wire.readRequest(client);
    } catch (IOException e) {
      close(client);
      return;
    } catch (ConsoleRequest.Invalid e) {
      Wire.refuse(client, e.getMessage());
      return;
    } finally {
      cutOff.cancel(false);
    }
    // Checked after the request is read: a socket closed with unread bytes in it is reset, and
    // the peer would never read why it was refused.
    Optional<String> peer = Peer.problem(client, user);
    if (peer.isPresent()) {
      log.warn("console connection refused user={} problem={}", user.user(), peer.get());
      refuse(user, request.vm(), client, peer.get());
      return;
    }
    Optional<Target> target = vms.find(user, request.vm());
    if (target.isEmpty()) {
      refuse(user, request.vm(), client,
          "you have no VM '" + request.vm() + "'; `wirt list` shows yours");
      return;
    }
    open(user, request, target.get(), client);
  }

  private synchronized void open(Identity user, ConsoleRequest request, Target target,
      SocketChannel client) {
    ConsoleSession held = sessions.get(target.uuid());
    if (held != null && !request.force()) {
      refuse(user, request.vm(), client, "VM '" + request.vm()
          + "' already has a console open (since "
          + held.since() + "); `wirt console " + request.vm() + " --force` takes it over");
      return;
    }
    if (held == null && sessions.size() >= config.sessions()) {
      refuse(user, request.vm(), client, "wirtd has " + config.sessions()
          + " consoles open, its limit; "
          + "try again later");
      return;
    }
    if (held != null) {
      held.end("taken over by another `wirt console --force` of yours");
      held.awaitEnd();
    }
    ConsoleStream stream;
    try {
      stream = ConsoleStream.open(libvirtUri, target.uuid(), request.force());
    } catch (IOException e) {
      refuse(user, request.vm(), client, "cannot open the console of VM '" + request.vm()
          + "' ("
          + e.getMessage() + "); is it running? `wirt start " + request.vm() + "` boots it");
      return;
    }
    ConsoleSession session = new ConsoleSession(user, request.vm(), target, stream, client,
        clock, s -> ended(s));
    sessions.put(target.uuid(), session);
    audit.note(user.user(), request.vm(), "console-opened", "console of " + target.domain()
        + " opened" + (request.force() ? " (forced)" : ""));
    log.info("console opened user={} vm={} domain={} force={}", user.user(), request.vm(),
        target.domain(), request.force());
    session.start("connected to " + target.domain() + "; Ctrl-] detaches");
  }

  /** Refuses a console, in the audit log too: who asked for which VM, and why not. */
  private void refuse(Identity user, String vm, SocketChannel client, String why) {
    audit.note(user.user(), vm, "console-refused", why);
    Wire.refuse(client, why);
  }

  private void ended(ConsoleSession s) {
    sessions.remove(s.target().uuid(), s);
    audit.note(s.user().user(), s.vm(), "console-closed", "console of " + s.target().domain()
        + " closed: " + s.reason());
    log.info("console closed user={} vm={} reason={} bytesIn={} bytesOut={}", s.user().user(),
        s.vm(), s.reason(), s.bytesIn(), s.bytesOut());
  }

  private void enforceLimits() {
    for (ConsoleSession s : sessions.values()) {
      s.enforce(config.idle(), config.total());
    }
  }

  private static void close(java.nio.channels.Channel c) {
    try {
      c.close();
    } catch (IOException e) {
      // nothing more to do with it
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
    close(selector);
    for (Listener l : listeners.values()) {
      close(l.channel());
      remove(l.user());
    }
    for (ConsoleSession s : sessions.values()) {
      s.end("wirtd is stopping");
    }
  }

  /**
   * Removes a user's socket (as the user, in their directory) and the directory (as root, in
   * root's {@code runDir}). A directory the user filled with more stays.
   */
  private void remove(Identity user) {
    Path dir = config.runDir().resolve(user.user());
    try {
      try (FsIdentity.Scope as = FsIdentity.assume(user.uid(), user.gid(), user.groups())) {
        Files.deleteIfExists(dir.resolve(SOCKET));
      }
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      log.debug("console directory left dir={}", dir, e);
    }
  }

  private static void close(Selector s) {
    try {
      s.close();
    } catch (IOException e) {
      // nothing more to do with it
    }
  }
}
