package org.wirt.verbs;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.ManagedDomain;

/**
 * A command that passed its verb's checks and may be claimed: the domain its claim names, and what
 * running it does. Nothing has changed yet.
 */
public final class Checked {
  private final String domainName;
  private final String uuid;
  private final Body body;
  private volatile ManagedDomain domain;

  /** What running the command does; a verb that makes a domain names it ({@link #madeDomain}). */
  @FunctionalInterface
  interface Body {
    CompletableFuture<String> run(Checked self) throws HypervisorException;
  }

  private Checked(String domainName, String uuid, ManagedDomain domain, Body body) {
    this.domainName = Objects.requireNonNull(domainName, "domainName");
    this.uuid = uuid;
    this.domain = domain;
    this.body = Objects.requireNonNull(body, "body");
  }

  /** A command on an existing domain. */
  static Checked on(ManagedDomain domain, Body body) {
    return new Checked(domain.name(), domain.uuid().toString(), domain, body);
  }

  /** A command that makes the domain {@code domainName} (a create): its claim has no UUID. */
  static Checked toMake(String domainName, Body body) {
    return new Checked(domainName, null, null, body);
  }

  /** A run that is done at once. */
  static CompletableFuture<String> done(String message) {
    return CompletableFuture.completedFuture(message);
  }

  /** The name of the domain the claim names. */
  public String domainName() {
    return domainName;
  }

  /** Its UUID, or null while it does not exist. */
  public String uuid() {
    return uuid;
  }

  /**
   * Runs the command.
   *
   * @return a future completed with the success message, or exceptionally with a {@link
   *     HypervisorException} whose message says what failed
   */
  public CompletableFuture<String> run() {
    try {
      return body.run(this);
    } catch (HypervisorException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** The domain whose status to show once the command ran, or null (a create that failed). */
  public ManagedDomain domain() {
    return domain;
  }

  void madeDomain(ManagedDomain made) {
    domain = Objects.requireNonNull(made, "made");
  }
}
