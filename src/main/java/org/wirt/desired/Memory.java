package org.wirt.desired;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What wirtd remembers of one content of a VM's {@code settings.json} (by its hash): which settings
 * a one-off command overrode, which actions were refused or failed (not tried again), and whether
 * a problem with the file was reported. A new content starts with an empty memory.
 *
 * @param hash what the memory is of: the content's SHA-256, or the refusal to read it
 * @param overrides the overridden setting ({@code state}, {@code vcpus}...) and the verb that did it
 * @param refused the verb and why it was refused or failed
 */
record Memory(String hash, Map<String, String> overrides, Map<String, String> refused,
    boolean problemReported) {

  Memory {
    Objects.requireNonNull(hash, "hash");
    overrides = Map.copyOf(overrides);
    refused = Map.copyOf(refused);
  }

  static Memory empty(String hash) {
    return new Memory(hash, Map.of(), Map.of(), false);
  }

  Memory override(String setting, String verb) {
    Map<String, String> next = new TreeMap<>(overrides);
    next.put(setting, verb);
    return new Memory(hash, next, refused, problemReported);
  }

  Memory refuse(String verb, String why) {
    Map<String, String> next = new TreeMap<>(refused);
    next.put(verb, why);
    return new Memory(hash, overrides, next, problemReported);
  }

  Memory reported() {
    return new Memory(hash, overrides, refused, true);
  }

  /** Whether there is anything worth keeping across a restart. */
  boolean worthKeeping() {
    return !overrides.isEmpty() || !refused.isEmpty() || problemReported;
  }
}
