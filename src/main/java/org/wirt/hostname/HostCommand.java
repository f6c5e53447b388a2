package org.wirt.hostname;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Locale;
import org.wirt.command.CommandParser;
import org.wirt.command.Names;
import org.wirt.command.Refusal;

/**
 * One command of {@code command/domain/<name>/}: its verb, tag and, for {@code config} and {@code
 * start}, the VM the name points at.
 *
 * <ul>
 *   <li>{@code config}: JSON {@code {"vm": "<vm>"}}: holds the name for that VM;
 *   <li>{@code start}: empty, or the same JSON: holds the name and publishes it;
 *   <li>{@code stop}: empty: withdraws it and releases the name.
 * </ul>
 *
 * @param vm the VM named by the content, or null
 */
record HostCommand(Verb verb, String tag, String vm) {
  private static final ObjectMapper JSON = JsonMapper.builder().build();
  static final String NAME_RULE = "config, start or stop, optionally with .<tag> ("
      + Names.TAG_RULE + ")";

  enum Verb {
    CONFIG, START, STOP;

    String fileName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** The verb and tag of a command file's name. */
  static HostCommand named(String fileName) throws Refusal {
    int dot = fileName.indexOf('.');
    String verb = dot < 0 ? fileName : fileName.substring(0, dot);
    String tag = dot < 0 ? null : fileName.substring(dot + 1);
    Verb v = switch (verb) {
      case "config" -> Verb.CONFIG;
      case "start" -> Verb.START;
      case "stop" -> Verb.STOP;
      default -> throw new Refusal(CommandParser.quote(verb) + " is no host name command; a"
          + " command file in command/domain/<name>/ is named " + NAME_RULE);
    };
    if (tag != null && !Names.isTag(tag)) {
      throw new Refusal("the tag " + CommandParser.quote(tag) + " is not valid; a tag is "
          + Names.TAG_RULE);
    }
    return new HostCommand(v, tag, null);
  }

  /** This command with its file's content parsed. */
  HostCommand withContent(byte[] content) throws Refusal {
    String text = utf8(content).strip();
    String where = "'" + verb.fileName() + "'";
    if (verb == Verb.STOP) {
      if (!text.isEmpty()) {
        throw new Refusal(where + " takes no content; found " + CommandParser.quote(text)
            + "; write an empty file");
      }
      return this;
    }
    if (text.isEmpty()) {
      if (verb == Verb.CONFIG) {
        throw new Refusal(where + " needs JSON naming the VM, like {\"vm\": \"web\"}; the file"
            + " is empty");
      }
      return this;
    }
    JsonNode root;
    try {
      root = JSON.readTree(text);
    } catch (IOException e) {
      throw new Refusal(where + " takes JSON like {\"vm\": \"web\"}; found "
          + CommandParser.quote(text));
    }
    if (root == null || !root.isObject()) {
      throw new Refusal(where + " takes a JSON object like {\"vm\": \"web\"}; found "
          + CommandParser.quote(text));
    }
    for (Iterator<String> keys = root.fieldNames(); keys.hasNext(); ) {
      String key = keys.next();
      if (!key.equals("vm")) {
        throw new Refusal(where + " does not know the key " + CommandParser.quote(key)
            + "; it takes only \"vm\", like {\"vm\": \"web\"}");
      }
    }
    JsonNode vmNode = root.get("vm");
    if (vmNode == null || !vmNode.isTextual() || !Names.isVm(vmNode.asText())) {
      throw new Refusal(where + " \"vm\" must be the name of one of your VMs (" + Names.VM_RULE
          + "); found " + CommandParser.quote(String.valueOf(vmNode)));
    }
    return new HostCommand(verb, tag, vmNode.asText());
  }

  private static String utf8(byte[] content) throws Refusal {
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(content)).toString();
    } catch (CharacterCodingException e) {
      throw new Refusal("the content is not UTF-8 text; write JSON like {\"vm\": \"web\"}");
    }
  }
}
