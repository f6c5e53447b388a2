package org.wirt.command;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/** Parses the JSON content of {@code create} and {@code config} files. */
final class CreateParser {
  /** An image's name: what {@code wirtctl image import} accepts. */
  static final Pattern IMAGE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");
  private static final Pattern HOSTNAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");
  private static final Pattern SSH_KEY = Pattern.compile(
      "(ssh-(rsa|ed25519|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\\.com)"
          + " [A-Za-z0-9+/]+={0,3}( [\\x20-\\x7e]*)?");
  private static final Set<String> KEYS =
      Set.of("image", "vcpus", "memoryMiB", "diskGiB", "sshKeys", "autostart", "hostname",
          "networks");
  static final int MAX_VCPUS = 256;
  static final int MIN_MEMORY_MIB = 64;
  static final int MAX_MEMORY_MIB = 4 * 1024 * 1024;
  static final int MAX_DISK_GIB = 64 * 1024;
  static final int MAX_KEYS = 32;
  private static final String EXAMPLE =
      "{\"image\": \"debian12\", \"vcpus\": 2, \"memoryMiB\": 2048, \"diskGiB\": 20}";
  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();

  private CreateParser() {}

  static Command.Create parse(String text) throws Refusal {
    JsonNode root;
    try {
      root = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? ""
          : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
      throw new Refusal("'create' content is not valid JSON" + where + " ("
          + CommandParser.quote(e.getOriginalMessage()) + "); write an object like " + EXAMPLE);
    }
    if (root == null || !root.isObject()) {
      throw new Refusal("'create' takes a JSON object like " + EXAMPLE
          + "; the file holds " + (root == null ? "nothing" : CommandParser.quote(root.toString())));
    }
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!KEYS.contains(key)) {
        throw new Refusal("'create' does not know the key " + CommandParser.quote(key)
            + "; known keys: image (required), vcpus, memoryMiB, diskGiB, sshKeys, autostart, "
            + "hostname, networks");
      }
    }
    JsonNode image = root.get("image");
    if (image == null || !image.isTextual() || !IMAGE.matcher(image.asText()).matches()) {
      throw new Refusal("'create' needs \"image\": the name of a golden image (letters, digits, "
          + "'_' and '-', up to 64), like " + EXAMPLE + "; an admin's `wirtctl image list` "
          + "shows them"
          + (image == null ? "" : "; found " + CommandParser.quote(image.toString())));
    }
    return new Command.Create(image.asText(),
        integer(root, "vcpus", 1, MAX_VCPUS),
        integer(root, "memoryMiB", MIN_MEMORY_MIB, MAX_MEMORY_MIB),
        integer(root, "diskGiB", 1, MAX_DISK_GIB),
        keys(root.get("sshKeys")),
        bool(root, "autostart"),
        hostname(root.get("hostname")),
        NetworkNames.parse(root.get("networks")));
  }

  private static final Set<String> CONFIG_KEYS = Set.of("vcpus", "memoryMiB", "autostart");
  private static final String CONFIG_EXAMPLE = "{\"vcpus\": 2, \"memoryMiB\": 4096, \"autostart\": true}";

  static Command.Config config(String text) throws Refusal {
    JsonNode root;
    try {
      root = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw new Refusal("'config' content is not valid JSON (" + CommandParser.quote(
          e.getOriginalMessage()) + "); write an object like " + CONFIG_EXAMPLE);
    }
    if (root == null || !root.isObject() || root.isEmpty()) {
      throw new Refusal("'config' takes a JSON object with at least one of vcpus, memoryMiB, "
          + "autostart, like " + CONFIG_EXAMPLE);
    }
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!CONFIG_KEYS.contains(key)) {
        throw new Refusal("'config' does not know the key " + CommandParser.quote(key)
            + "; known keys: vcpus, memoryMiB, autostart");
      }
    }
    return new Command.Config(integer(root, "vcpus", 1, MAX_VCPUS, "config"),
        integer(root, "memoryMiB", MIN_MEMORY_MIB, MAX_MEMORY_MIB, "config"),
        bool(root, "autostart", "config"));
  }

  private static Integer integer(JsonNode root, String key, int min, int max) throws Refusal {
    return integer(root, key, min, max, "create");
  }

  private static Boolean bool(JsonNode root, String key) throws Refusal {
    return bool(root, key, "create");
  }

  private static Integer integer(JsonNode root, String key, int min, int max, String verb)
      throws Refusal {
    JsonNode value = root.get(key);
    if (value == null) {
      return null;
    }
    if (!value.isIntegralNumber() || !value.canConvertToInt()
        || value.asInt() < min || value.asInt() > max) {
      throw new Refusal("'" + verb + "' \"" + key + "\" is "
          + CommandParser.quote(value.toString()) + "; it must be a whole number from " + min
          + " to " + max);
    }
    return value.asInt();
  }

  private static Boolean bool(JsonNode root, String key, String verb) throws Refusal {
    JsonNode value = root.get(key);
    if (value == null) {
      return null;
    }
    if (!value.isBoolean()) {
      throw new Refusal("'" + verb + "' \"" + key + "\" is "
          + CommandParser.quote(value.toString()) + "; it must be true or false");
    }
    return value.asBoolean();
  }

  private static List<String> keys(JsonNode value) throws Refusal {
    if (value == null) {
      return null;
    }
    if (!value.isArray() || value.size() > MAX_KEYS) {
      throw new Refusal("'create' \"sshKeys\" must be a list of at most " + MAX_KEYS
          + " public keys, like [\"ssh-ed25519 AAAA... me@laptop\"]");
    }
    List<String> keys = new ArrayList<>();
    for (JsonNode key : value) {
      if (!key.isTextual() || !SSH_KEY.matcher(key.asText().strip()).matches()) {
        throw new Refusal("'create' \"sshKeys\" holds " + CommandParser.quote(key.toString())
            + ", which is not one OpenSSH public key line like \"ssh-ed25519 AAAA... me@laptop\"");
      }
      keys.add(key.asText().strip());
    }
    return keys;
  }

  private static String hostname(JsonNode value) throws Refusal {
    if (value == null) {
      return null;
    }
    if (!value.isTextual() || !HOSTNAME.matcher(value.asText()).matches()) {
      throw new Refusal("'create' \"hostname\" is " + CommandParser.quote(value.toString())
          + "; it must be one DNS label: letters, digits and '-', up to 63, like \"web\"");
    }
    return value.asText();
  }

  /** Returns whether a line of an authorized_keys file is a plain public key wirt passes on. */
  static boolean isPublicKey(String line) {
    return SSH_KEY.matcher(line).matches();
  }
}
