package org.wirt.cli;

import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * The CLIs' one JSON mapper, made when a command first reads or writes JSON: building a mapper is
 * a good part of a short command's start-up, which {@code wirt --version} does not need.
 */
public final class Json {
  public static final JsonMapper MAPPER = JsonMapper.builder().build();

  private Json() {}
}
