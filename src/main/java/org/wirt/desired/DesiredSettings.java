package org.wirt.desired;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What a user's {@code command/vm/<vm>/settings.json} asks for: each setting optional (null: not
 * governed by the file).
 *
 * @param state whether the VM should run, or null
 * @param vcpus vCPUs of the definition (the next boot), or null
 * @param memoryMiB memory of the definition (the next boot), or null
 * @param autostart whether it boots with the host, or null
 */
public record DesiredSettings(State state, Integer vcpus, Integer memoryMiB, Boolean autostart) {

  /** The power states a user may ask for. */
  public enum State {
    RUNNING, SHUTOFF;

    /** As written in the file and in {@code status.json}. */
    public String json() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** The state spelled exactly like this, if any. */
    static Optional<State> of(String text) {
      for (State s : values()) {
        if (s.json().equals(text)) {
          return Optional.of(s);
        }
      }
      return Optional.empty();
    }
  }

  /** The settings the file names, in the file's key order of SPEC, for {@code info/}. */
  public Map<String, Object> asMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    if (state != null) {
      m.put("state", state.json());
    }
    if (vcpus != null) {
      m.put("vcpus", vcpus);
    }
    if (memoryMiB != null) {
      m.put("memoryMiB", memoryMiB);
    }
    if (autostart != null) {
      m.put("autostart", autostart);
    }
    return m;
  }
}
