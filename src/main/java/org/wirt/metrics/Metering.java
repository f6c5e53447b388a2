package org.wirt.metrics;

import java.io.IOException;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.config.MetricsConfig;
import org.wirt.posix.ErrnoException;
import org.wirt.threads.ThreadFailures;

/**
 * The {@code wirt-metrics} thread: every {@code metrics.vmSeconds} the running VMs' {@code
 * metrics.json} ({@link VmMetricsFiles}), and, if {@code metrics.textfile} is set, every {@code
 * metrics.textfileSeconds} the admin's textfile ({@link Exposition}, {@link Textfile}). One
 * thread, so neither waits for the other's libvirt calls on a thread that serves commands.
 */
public final class Metering implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Metering.class);
  static final String THREAD = "wirt-metrics";

  private final MetricsConfig config;
  private final VmMetricsFiles vms;
  private final WirtMetrics metrics;
  private final Gauges gauges;
  private final ThreadFailures failures;
  private final Optional<Textfile> textfile;
  private final ScheduledExecutorService executor;
  private volatile String lastProblem;

  public Metering(MetricsConfig config, VmMetricsFiles vms, WirtMetrics metrics, Gauges gauges,
      ThreadFailures failures) {
    this.config = Objects.requireNonNull(config, "config");
    this.vms = Objects.requireNonNull(vms, "vms");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.gauges = Objects.requireNonNull(gauges, "gauges");
    this.failures = Objects.requireNonNull(failures, "failures");
    this.textfile = config.textfile().map(Textfile::new);
    this.executor = failures.executor(THREAD);
  }

  /** Starts both tasks; each periodic body is guarded, since one that throws is never run again. */
  public void start() {
    long vmMs = config.vmInterval().toMillis();
    executor.scheduleWithFixedDelay(failures.guard(THREAD, vms::writeAll), vmMs, vmMs,
        TimeUnit.MILLISECONDS);
    if (textfile.isPresent()) {
      long textMs = config.textfileInterval().toMillis();
      executor.scheduleWithFixedDelay(failures.guard(THREAD, this::writeTextfile), 0, textMs,
          TimeUnit.MILLISECONDS);
      log.info("metrics textfile={} everySeconds={}", textfile.get().path(),
          config.textfileInterval().toSeconds());
    }
  }

  /** Renders and writes the textfile now, if one is configured; a failure is logged once. */
  void writeTextfile() {
    if (textfile.isEmpty()) {
      return;
    }
    Textfile file = textfile.get();
    try {
      file.write(Exposition.render(metrics, gauges));
    } catch (IOException e) {
      String problem = String.valueOf(e.getMessage());
      if (!problem.equals(lastProblem)) {
        lastProblem = problem;
        if (e instanceof ErrnoException n && n.errno() == ErrnoException.EROFS) {
          log.warn("cannot write metrics.textfile={}: read-only; under systemd the unit's "
              + "ProtectSystem=strict needs the directory in a drop-in (systemctl edit wirtd: "
              + "[Service] ReadWritePaths={})", file.path(), file.path().getParent(), e);
        } else {
          log.warn("cannot write metrics.textfile={}; tried again every {} s", file.path(),
              config.textfileInterval().toSeconds(), e);
        }
      }
      return;
    }
    if (lastProblem != null) {
      log.info("metrics.textfile={} written again", file.path());
      lastProblem = null;
    }
  }

  /** Runs a pass of both on the metrics thread and waits for it (tests). */
  public void runNow() throws InterruptedException {
    try {
      executor.submit(() -> {
        vms.writeAll();
        writeTextfile();
      }).get();
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("metrics pass failed", e.getCause());
    }
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}
