package org.wirt.testing;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * One wirtd running as a process of its own (started by {@link WirtdFixture#launch} or, for the
 * installed package, from any command line), its output in a file. Waits on it fail at once, with
 * that output, when wirtd exits meanwhile.
 */
public final class WirtdProcess implements AutoCloseable {
  /** How long wirtd may take to stop after a signal. */
  public static final Duration STOP = Duration.ofSeconds(30);

  private final Process process;
  private final Path output;

  private WirtdProcess(Process process, Path output) {
    this.process = Objects.requireNonNull(process, "process");
    this.output = Objects.requireNonNull(output, "output");
  }

  /** Starts {@code builder} with its output (stdout and stderr) into {@code output}. */
  public static WirtdProcess start(ProcessBuilder builder, Path output) throws IOException {
    return new WirtdProcess(builder.redirectErrorStream(true).redirectOutput(output.toFile()).start(),
        output);
  }

  /**
   * Waits until wirtd is ready as systemd sees it: it logs "control socket" just before READY=1,
   * after its SIGHUP handler is in place ("wirtd started" comes earlier, when a SIGHUP would still
   * meet the JVM's default handler). Fails if wirtd exits first.
   */
  public WirtdProcess awaitStarted(Duration timeout) throws InterruptedException {
    await("wirtd ready", timeout, () -> output().contains("wirtd started")
        && output().contains(" - control socket "));
    return this;
  }

  /** Waits until {@code condition} holds; fails with wirtd's output if wirtd exits meanwhile. */
  public void await(String what, Duration timeout, Await.Condition condition)
      throws InterruptedException {
    Await.until(what, timeout, this::described, () -> {
      if (condition.holds()) {
        return true;
      }
      if (!process.isAlive()) {
        throw new AssertionError("wirtd exited with " + process.exitValue() + " while waiting for "
            + what + "\n" + described());
      }
      return false;
    });
  }

  /** What wirtd wrote so far ("" before it wrote anything). */
  public String output() {
    try {
      return Files.exists(output) ? Files.readString(output, UTF_8) : "";
    } catch (IOException e) {
      return "";
    }
  }

  /** The file wirtd writes its output to. */
  public Path outputFile() {
    return output;
  }

  public Process process() {
    return process;
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** Sends SIGTERM and returns whether wirtd ended within {@link #STOP}. */
  public boolean stop() throws InterruptedException {
    process.destroy();
    return process.waitFor(STOP.toSeconds(), TimeUnit.SECONDS);
  }

  /** Kills wirtd with SIGKILL, as a crash would, and returns whether it ended within {@link #STOP}. */
  public boolean kill() throws InterruptedException {
    process.destroyForcibly();
    return process.waitFor(STOP.toSeconds(), TimeUnit.SECONDS);
  }

  /** Stops wirtd (and whatever it started) if it still runs: SIGTERM, then SIGKILL. */
  @Override
  public void close() throws InterruptedException {
    if (!process.isAlive()) {
      return;
    }
    process.descendants().forEach(ProcessHandle::destroy);
    if (!stop()) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      kill();
    }
  }

  private String described() {
    return "--- wirtd output (" + output + ") ---\n" + output();
  }
}
