package org.wirt.command;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/** A command's verb with its parsed content: what the user asked for (SPEC 5). */
public sealed interface Command {

  Verb verb();

  /** Boot the VM. */
  record Start() implements Command {
    public Verb verb() {
      return Verb.START;
    }
  }

  /**
   * ACPI shutdown; ok once off. After {@code timeout} it fails, or, with {@code force}, powers off.
   */
  record Stop(Duration timeout, boolean force) implements Command {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(120);

    public Stop {
      Objects.requireNonNull(timeout, "timeout");
    }

    public Verb verb() {
      return Verb.STOP;
    }
  }

  /** Power off at once. */
  record Destroy() implements Command {
    public Verb verb() {
      return Verb.DESTROY;
    }
  }

  /** ACPI reboot. */
  record Reboot() implements Command {
    public Verb verb() {
      return Verb.REBOOT;
    }
  }

  /** Hard reset. */
  record Reset() implements Command {
    public Verb verb() {
      return Verb.RESET;
    }
  }

  /** Pause. */
  record Suspend() implements Command {
    public Verb verb() {
      return Verb.SUSPEND;
    }
  }

  /** Continue after a pause. */
  record Resume() implements Command {
    public Verb verb() {
      return Verb.RESUME;
    }
  }

  /** Boot with the host, or not. */
  record Autostart(boolean enabled) implements Command {
    public Verb verb() {
      return Verb.AUTOSTART;
    }
  }

  /** Refresh {@code status.json} now. */
  record Status() implements Command {
    public Verb verb() {
      return Verb.STATUS;
    }
  }

  /**
   * A new VM on a golden image (SPEC 5). A null setting takes the image's default; null {@code
   * sshKeys} means the keys of the user's {@code ~/.ssh/authorized_keys}.
   */
  record Create(String image, Integer vcpus, Integer memoryMiB, Integer diskGiB,
      List<String> sshKeys, Boolean autostart, String hostname, List<String> networks)
      implements Command {
    public Create {
      Objects.requireNonNull(image, "image");
      sshKeys = sshKeys == null ? null : List.copyOf(sshKeys);
      networks = networks == null ? null : List.copyOf(networks);
    }

    /** A create that names no networks: it gets the configured ones. */
    public Create(String image, Integer vcpus, Integer memoryMiB, Integer diskGiB,
        List<String> sshKeys, Boolean autostart, String hostname) {
      this(image, vcpus, memoryMiB, diskGiB, sshKeys, autostart, hostname, null);
    }

    public Verb verb() {
      return Verb.CREATE;
    }
  }

  /** Undefine the VM and remove the volumes wirt made for it. */
  record Delete() implements Command {
    public Verb verb() {
      return Verb.DELETE;
    }
  }

  /**
   * New settings for the next boot (vCPUs, memory) and autostart (at once); a null one stays.
   */
  record Config(Integer vcpus, Integer memoryMiB, Boolean autostart) implements Command {
    public Verb verb() {
      return Verb.CONFIG;
    }
  }

  /** Take a snapshot of the (shut-off) VM's disk under a name. */
  record Snapshot(String name) implements Command {
    public Snapshot {
      Objects.requireNonNull(name, "name");
    }

    public Verb verb() {
      return Verb.SNAPSHOT;
    }
  }

  /** Bring the (shut-off) VM back to a snapshot. */
  record Revert(String name) implements Command {
    public Revert {
      Objects.requireNonNull(name, "name");
    }

    public Verb verb() {
      return Verb.REVERT;
    }
  }

  /** Remove a snapshot. */
  record SnapshotDelete(String name) implements Command {
    public SnapshotDelete {
      Objects.requireNonNull(name, "name");
    }

    public Verb verb() {
      return Verb.SNAPSHOT_DELETE;
    }
  }

  /** Detach the (shut-off) VM's disk from its golden image: copy what it shares into it. */
  record Consolidate() implements Command {
    public Verb verb() {
      return Verb.CONSOLIDATE;
    }
  }
}
