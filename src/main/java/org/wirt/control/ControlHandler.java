package org.wirt.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/** What wirtd answers on its control socket: the other half of {@code wirtctl}. */
public final class ControlHandler implements ControlSocket.Handler {
  /** How long {@code drain} waits for running commands (a guest's shutdown can take minutes). */
  static final Duration DRAIN_WAIT = Duration.ofMinutes(10);

  private final DaemonControl daemon;
  private final Supplier<String> reload;
  private final Clock clock;

  /**
   * @param reload re-reads the configuration and returns what happened; throws with the reason
   *     when the new configuration is refused
   * @param clock how long {@code drain} has waited
   */
  public ControlHandler(DaemonControl daemon, Supplier<String> reload, Clock clock) {
    this.daemon = Objects.requireNonNull(daemon, "daemon");
    this.reload = Objects.requireNonNull(reload, "reload");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  @Override
  public JsonNode handle(JsonNode request) throws Exception {
    String command = request.path("command").asText();
    return switch (command) {
      case "status" -> Protocol.JSON.valueToTree(daemon.overview());
      case "users" -> wrap("users", Protocol.JSON.valueToTree(daemon.users()));
      case "queue" -> wrap("queue", Protocol.JSON.valueToTree(daemon.queue(
          Optional.ofNullable(request.get("user")).filter(JsonNode::isTextual).map(JsonNode::asText))));
      case "reload" -> message(reload.get());
      case "drain" -> drain(request.path("on").asBoolean(true), request.path("wait").asBoolean(true));
      case "ownership" -> {
        daemon.ownershipChanged();
        yield message("reading domain ownership again");
      }
      default -> Protocol.error("unknown command '" + command
          + "'; wirtd knows status, users, queue, reload, drain, ownership");
    };
  }

  private JsonNode drain(boolean on, boolean wait) throws InterruptedException {
    daemon.drain(on);
    if (!on) {
      return message("drain ended: taking commands again");
    }
    Instant deadline = clock.instant().plus(DRAIN_WAIT);
    while (wait && daemon.running() > 0 && clock.instant().isBefore(deadline)) {
      Thread.sleep(100);
    }
    int running = daemon.running();
    ObjectNode n = message(running == 0
        ? "drained: no command is running and none will be taken until `wirtctl drain --off` or a restart"
        : "draining: " + running + " command(s) still running; none will be taken");
    n.put("running", running);
    return n;
  }

  private static ObjectNode wrap(String key, JsonNode value) {
    ObjectNode n = Protocol.JSON.createObjectNode();
    n.set(key, value);
    return n;
  }

  private static ObjectNode message(String text) {
    ObjectNode n = Protocol.JSON.createObjectNode();
    n.put("message", text);
    return n;
  }
}
