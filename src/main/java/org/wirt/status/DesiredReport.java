package org.wirt.status;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code info/vm/<vm>/settings.json} shows of the VM's {@code command/vm/<vm>/settings.json}
 * under {@code "desired"}: the settings it asks for (none if it could not be used), what is wrong
 * with it, and what still differs from the VM and why.
 *
 * @param settings the settings the file asks for, by key; empty if it is unusable
 * @param problem what is wrong with the file and what is accepted, or null
 * @param pending what still differs and why ("vcpus 2 applies at next boot")
 */
public record DesiredReport(Map<String, Object> settings, String problem, List<String> pending) {
  public DesiredReport {
    settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
    pending = List.copyOf(pending);
  }
}
