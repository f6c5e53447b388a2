package org.wirt.hypervisor;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.ptr.IntByReference;
import java.lang.reflect.Field;
import org.libvirt.Domain;
import org.libvirt.Error;
import org.libvirt.jna.DomainPointer;
import org.libvirt.jna.DomainSnapshotPointer;
import org.libvirt.jna.virDomainInfo;
import org.libvirt.jna.virError;

/**
 * The libvirt calls that libvirt-java 0.5.3 lacks or gets wrong: {@code virDomainGetState} (no
 * binding) and {@code virDomainGetInfo} (its {@code DomainInfo} fails on state 7, pmsuspended).
 * Both act on the {@code virDomainPtr} that libvirt-java's {@link Domain} holds in a
 * package-private field.
 */
final class NativeDomain {

  /** The raw state and reason codes and the info {@code status.json} and the metrics need. */
  record Snapshot(int state, int reason, int vcpus, long memoryKiB, long maxMemoryKiB,
      long cpuTimeNs) {}

  /** A native call failed; carries libvirt's error of the calling thread. */
  static final class NativeCallException extends Exception {
    private static final long serialVersionUID = 1L;
    private final transient Error error;

    NativeCallException(Error error) {
      super(error == null ? "unknown libvirt error" : error.getMessage());
      this.error = error;
    }

    Error error() {
      return error;
    }
  }

  interface Api extends Library {
    int virDomainGetState(DomainPointer domain, IntByReference state, IntByReference reason, int flags);

    int virDomainGetInfo(DomainPointer domain, virDomainInfo info);

    virError virGetLastError();

    int virDomainSnapshotDelete(DomainSnapshotPointer snapshot, int flags);

    int virDomainGetControlInfo(DomainPointer domain, byte[] info, int flags);

    int virDomainSnapshotFree(DomainSnapshotPointer snapshot);
  }

  private static final Api API = Native.load("virt", Api.class);
  private static final Field POINTER = pointerField();
  private static final Field SNAPSHOT_POINTER = snapshotPointerField();

  private NativeDomain() {}

  static Snapshot snapshot(Domain domain) throws NativeCallException {
    DomainPointer pointer = pointer(domain);
    IntByReference state = new IntByReference();
    IntByReference reason = new IntByReference();
    if (API.virDomainGetState(pointer, state, reason, 0) < 0) {
      throw lastError();
    }
    virDomainInfo info = new virDomainInfo();
    if (API.virDomainGetInfo(pointer, info) < 0) {
      throw lastError();
    }
    return new Snapshot(state.getValue(), reason.getValue(), info.nrVirtCpu & 0xffff,
        info.memory.longValue(), info.maxMem.longValue(), info.cpuTime);
  }

  /**
   * Returns whether libvirt runs a job on the domain now ({@code VIR_DOMAIN_CONTROL_JOB} or
   * {@code OCCUPIED}), from {@code virDomainGetControlInfo}.
   */
  static boolean busy(Domain domain) throws NativeCallException {
    byte[] info = new byte[16]; // unsigned state, unsigned details, unsigned long long stateTime
    if (API.virDomainGetControlInfo(pointer(domain), info, 0) < 0) {
      throw lastError();
    }
    int state = java.nio.ByteBuffer.wrap(info).order(java.nio.ByteOrder.nativeOrder()).getInt(0);
    return state == 1 || state == 2;
  }

  /**
   * Deletes a snapshot and frees its handle. libvirt-java's {@code DomainSnapshot.delete} forgets
   * the handle without freeing it, and the handle holds a reference on the domain and the
   * connection, which then never closes (found by a test: the test driver's state outlived every
   * connection). The caller must not use {@code snapshot} afterwards.
   */
  static void deleteSnapshot(org.libvirt.DomainSnapshot snapshot, int flags)
      throws NativeCallException {
    DomainSnapshotPointer pointer;
    try {
      pointer = (DomainSnapshotPointer) SNAPSHOT_POINTER.get(snapshot);
      SNAPSHOT_POINTER.set(snapshot, null);
    } catch (IllegalAccessException e) {
      throw new IllegalStateException("cannot read libvirt-java's DomainSnapshot.vdsp", e);
    }
    if (pointer == null) {
      throw new IllegalStateException("snapshot object already freed");
    }
    try {
      if (API.virDomainSnapshotDelete(pointer, flags) < 0) {
        throw lastError();
      }
    } finally {
      API.virDomainSnapshotFree(pointer);
    }
  }

  private static Field snapshotPointerField() {
    try {
      Field field = org.libvirt.DomainSnapshot.class.getDeclaredField("vdsp");
      field.setAccessible(true);
      return field;
    } catch (NoSuchFieldException e) {
      throw new ExceptionInInitializerError("libvirt-java's DomainSnapshot has no field vdsp;"
          + " NativeDomain needs updating for this version");
    }
  }

  private static NativeCallException lastError() {
    virError error = API.virGetLastError();
    return new NativeCallException(error == null ? null : new Error(error));
  }

  private static DomainPointer pointer(Domain domain) {
    try {
      DomainPointer pointer = (DomainPointer) POINTER.get(domain);
      if (pointer == null) {
        throw new IllegalStateException("domain object already freed");
      }
      return pointer;
    } catch (IllegalAccessException e) {
      throw new IllegalStateException("cannot read libvirt-java's Domain.vdp", e);
    }
  }

  private static Field pointerField() {
    try {
      Field field = Domain.class.getDeclaredField("vdp");
      field.setAccessible(true);
      return field;
    } catch (NoSuchFieldException e) {
      throw new ExceptionInInitializerError(
          "libvirt-java's Domain has no field vdp; NativeDomain needs updating for this version");
    }
  }
}
