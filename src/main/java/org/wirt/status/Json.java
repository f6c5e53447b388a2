package org.wirt.status;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import org.wirt.hypervisor.DomainStatus;

/** The JSON documents wirtd writes into users' trees. Jackson does all escaping. */
public final class Json {
  static final ObjectMapper MAPPER = JsonMapper.builder().build();
  private static final ObjectMapper PRETTY =
      JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

  private Json() {}

  /** The outcome as one JSON object, in SPEC 6's key order. */
  public static ObjectNode outcome(Outcome o) {
    ObjectNode n = MAPPER.createObjectNode();
    n.put("time", o.time().toString());
    n.put("user", o.user());
    n.put("vm", o.vm());
    n.put("domain", o.domain());
    n.put("verb", o.verb());
    n.put("tag", o.tag());
    n.put("result", o.result().json());
    n.put("message", o.message());
    n.put("durationMs", o.durationMs());
    return n;
  }

  /** Reads an outcome written by {@link #outcome(Outcome)} (the journal keeps them). */
  public static Outcome outcome(com.fasterxml.jackson.databind.JsonNode n) {
    return new Outcome(java.time.Instant.parse(n.path("time").asText()), n.path("user").asText(),
        n.path("vm").asText(), text(n, "domain"), n.path("verb").asText(), text(n, "tag"),
        Result.valueOf(n.path("result").asText().toUpperCase(java.util.Locale.ROOT)),
        n.path("message").asText(), n.path("durationMs").asLong());
  }

  private static String text(com.fasterxml.jackson.databind.JsonNode n, String key) {
    com.fasterxml.jackson.databind.JsonNode v = n.get(key);
    return v == null || v.isNull() ? null : v.asText();
  }

  /** The outcome as a history or audit line, ending in a newline. */
  public static byte[] line(Outcome o) {
    return (compact(outcome(o)) + "\n").getBytes(StandardCharsets.UTF_8);
  }

  /** {@code status.json} (SPEC 6). */
  public static ObjectNode status(String vm, DomainStatus s, Outcome last, String libvirt) {
    ObjectNode n = MAPPER.createObjectNode();
    n.put("vm", vm);
    n.put("domain", s.name());
    n.put("uuid", s.uuid().toString());
    n.put("state", s.state().json());
    n.put("reason", s.reason());
    n.put("vcpus", s.vcpus());
    n.put("memoryMiB", s.memoryMiB());
    n.put("autostart", s.autostart());
    ArrayNode addresses = n.putArray("addresses");
    for (DomainStatus.Address a : s.addresses()) {
      ObjectNode address = addresses.addObject();
      address.put("interface", a.iface());
      address.put("mac", a.mac());
      address.put("ip", a.ip());
      address.put("prefix", a.prefix());
    }
    n.put("libvirt", libvirt);
    if (last == null) {
      n.putNull("lastCommand");
    } else {
      ObjectNode lc = n.putObject("lastCommand");
      lc.put("verb", last.verb());
      lc.put("tag", last.tag());
      lc.put("result", last.result().json());
      lc.put("message", last.message());
      lc.put("time", last.time().toString());
    }
    return n;
  }

  public static String compact(ObjectNode node) {
    try {
      return MAPPER.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  public static byte[] pretty(ObjectNode node) {
    try {
      return (PRETTY.writeValueAsString(node) + "\n").getBytes(StandardCharsets.UTF_8);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
