package org.wirt.desired;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.DeserializationFeature;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Set;
import org.wirt.command.CommandParser;
import org.wirt.command.Refusal;

/**
 * Parses a {@code settings.json}: a JSON object with any of {@code state} ("running" or
 * "shutoff"), {@code vcpus}, {@code memoryMiB} and {@code autostart}, the last three within the
 * bounds {@code config} accepts.
 */
public final class SettingsParser {
  /** The same bounds as the {@code config} verb's (command.CreateParser). */
  static final int MAX_VCPUS = 256;
  static final int MIN_MEMORY_MIB = 64;
  static final int MAX_MEMORY_MIB = 4 * 1024 * 1024;

  static final String ACCEPTED = "settings.json holds a JSON object with any of \"state\" "
      + "(\"running\" or \"shutoff\"), \"vcpus\" (1 to " + MAX_VCPUS + "), \"memoryMiB\" ("
      + MIN_MEMORY_MIB + " to " + MAX_MEMORY_MIB + ") and \"autostart\" (true or false), as in "
      + "{\"state\": \"running\", \"vcpus\": 2, \"memoryMiB\": 2048, \"autostart\": true}";

  private static final Set<String> KEYS = Set.of("state", "vcpus", "memoryMiB", "autostart");
  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  private SettingsParser() {}

  /**
   * Parses the file's bytes.
   *
   * @throws Refusal naming what is wrong and what is accepted
   */
  public static DesiredSettings parse(byte[] content) throws Refusal {
    String text = utf8(content);
    JsonNode root;
    try {
      root = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw new Refusal("not valid JSON (" + CommandParser.quote(
          String.valueOf(e.getOriginalMessage())) + "); " + ACCEPTED);
    }
    if (root == null || !root.isObject()) {
      throw new Refusal("not a JSON object; " + ACCEPTED);
    }
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!KEYS.contains(key)) {
        throw new Refusal("unknown key " + CommandParser.quote(key) + "; " + ACCEPTED);
      }
    }
    return new DesiredSettings(state(root), integer(root, "vcpus", 1, MAX_VCPUS),
        integer(root, "memoryMiB", MIN_MEMORY_MIB, MAX_MEMORY_MIB), bool(root, "autostart"));
  }

  private static DesiredSettings.State state(JsonNode root) throws Refusal {
    JsonNode v = root.get("state");
    if (v == null) {
      return null;
    }
    if (!v.isTextual() || DesiredSettings.State.of(v.asText()).isEmpty()) {
      throw new Refusal("\"state\" is " + CommandParser.quote(v.toString())
          + ", not \"running\" or \"shutoff\"; " + ACCEPTED);
    }
    return DesiredSettings.State.of(v.asText()).orElseThrow();
  }

  private static Integer integer(JsonNode root, String key, int min, int max) throws Refusal {
    JsonNode v = root.get(key);
    if (v == null) {
      return null;
    }
    if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < min || v.asInt() > max) {
      throw new Refusal("\"" + key + "\" is " + CommandParser.quote(v.toString())
          + ", not a whole number from " + min + " to " + max + "; " + ACCEPTED);
    }
    return v.asInt();
  }

  private static Boolean bool(JsonNode root, String key) throws Refusal {
    JsonNode v = root.get(key);
    if (v == null) {
      return null;
    }
    if (!v.isBoolean()) {
      throw new Refusal("\"" + key + "\" is " + CommandParser.quote(v.toString())
          + ", not true or false; " + ACCEPTED);
    }
    return v.asBoolean();
  }

  private static String utf8(byte[] content) throws Refusal {
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(content))
          .toString();
    } catch (CharacterCodingException e) {
      throw new Refusal("not UTF-8 text; " + ACCEPTED);
    }
  }
}
