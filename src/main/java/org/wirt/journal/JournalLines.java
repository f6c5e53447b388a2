package org.wirt.journal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Base64;

/**
 * The journal's lines, one JSON object each: {@code {"op": "claim", "id": 7, "user": …,
 * "content": <base64>}}, then {@code done} (with the outcome), {@code logged} and {@code complete},
 * each naming the claim's id.
 */
final class JournalLines {
  static final ObjectMapper JSON = JsonMapper.builder().build();

  private JournalLines() {}

  /** A mark of the claim {@code id}: {@code done}, {@code logged} or {@code complete}. */
  static ObjectNode mark(String op, long id) {
    ObjectNode n = JSON.createObjectNode();
    n.put("op", op);
    n.put("id", id);
    return n;
  }

  /** The claim's own line. */
  static ObjectNode claim(Journal.Claim c) {
    ObjectNode n = JSON.createObjectNode();
    n.put("op", "claim");
    n.put("id", c.id());
    n.put("user", c.user());
    n.put("uid", c.uid());
    n.put("vm", c.vm());
    n.put("domain", c.domain());
    n.put("uuid", c.uuid());
    n.put("verb", c.verb());
    n.put("tag", c.tag());
    n.put("file", c.file());
    n.put("dev", c.dev());
    n.put("ino", c.ino());
    n.put("content", Base64.getEncoder().encodeToString(c.content()));
    n.put("time", c.claimed());
    return n;
  }

  /** Reads a claim's line back. */
  static Journal.Claim claim(JsonNode n) {
    return new Journal.Claim(n.path("id").asLong(), n.path("user").asText(), n.path("uid").asInt(),
        n.path("vm").asText(), text(n, "domain"), text(n, "uuid"), n.path("verb").asText(),
        text(n, "tag"), n.path("file").asText(), n.path("dev").asLong(), n.path("ino").asLong(),
        Base64.getDecoder().decode(n.path("content").asText("")), n.path("time").asText());
  }

  private static String text(JsonNode n, String key) {
    JsonNode v = n.get(key);
    return v == null || v.isNull() ? null : v.asText();
  }
}
