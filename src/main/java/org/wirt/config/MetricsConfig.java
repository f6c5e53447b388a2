package org.wirt.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * What wirtd measures and where it writes it ({@code metrics} in {@code wirt.json}).
 *
 * @param vmInterval how often each running VM's {@code info/vm/<vm>/metrics.json} is written
 *     again, at most ({@code metrics.vmSeconds})
 * @param textfile where wirtd writes its own counters in Prometheus' text format, for
 *     node_exporter's textfile collector ({@code metrics.textfile}); empty: not written
 * @param textfileInterval how often the textfile is written again ({@code
 *     metrics.textfileSeconds})
 */
public record MetricsConfig(Duration vmInterval, Optional<Path> textfile,
    Duration textfileInterval) {

  /** The defaults, as in {@code examples/wirt.json}. */
  public static final MetricsConfig DEFAULTS =
      new MetricsConfig(Duration.ofSeconds(60), Optional.empty(), Duration.ofSeconds(15));

  public MetricsConfig {
    Objects.requireNonNull(vmInterval, "vmInterval");
    Objects.requireNonNull(textfile, "textfile");
    Objects.requireNonNull(textfileInterval, "textfileInterval");
  }
}
