package org.wirt.provision;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.config.ImagesConfig;
import org.wirt.hypervisor.Hypervisor;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.hypervisor.Owner;
import org.wirt.hypervisor.Storage;
import org.wirt.text.Fields;
import org.wirt.tree.Identity;

/**
 * Makes and removes VMs' storage and definitions (SPEC 5 {@code create}, {@code delete}, {@code
 * consolidate}): a qcow2 overlay on a golden image, a cloud-init seed, a domain with owner and
 * provision metadata; {@code delete} removes exactly the volumes the provision metadata lists;
 * flattening copies what an overlay shares with its image. What is checked before, and quotas,
 * are the verbs' ({@code org.wirt.verbs}).
 */
public final class Provisioner {
  private static final Logger log = LoggerFactory.getLogger(Provisioner.class);
  private static final long GIB = 1L << 30;

  private final Hypervisor hypervisor;
  private final ImagesConfig images;
  private final ImageStore store;
  private final Path consoleLogs;
  /** Flattening copies whole disks: it runs here, not on a worker that serves commands. */
  private final ExecutorService consolidations = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "wirt-consolidate");
    t.setDaemon(true);
    return t;
  });

  /** A checked {@code create}: everything decided, nothing made yet. */
  public record Plan(Identity user, String vm, String domain, Image image, int vcpus,
      int memoryMiB, int diskGiB, boolean autostart, String hostname, List<String> sshKeys,
      List<String> networks) {
    public Plan {
      Fields.requireNonNull("user vm domain image hostname sshKeys networks", user, vm, domain,
          image, hostname, sshKeys, networks);
    }
  }

  /** A provisioner whose VMs log their serial console into {@code consoleLogs} (root's). */
  public Provisioner(Hypervisor hypervisor, ImagesConfig images, Path consoleLogs) {
    this.consoleLogs = Objects.requireNonNull(consoleLogs, "consoleLogs");
    this.hypervisor = Objects.requireNonNull(hypervisor, "hypervisor");
    this.images = Objects.requireNonNull(images, "images");
    this.store = new ImageStore(images);
  }

  /** The golden image of this name, if an admin imported one. */
  public Optional<Image> image(String name) throws HypervisorException {
    try {
      return store.find(name);
    } catch (IOException e) {
      throw new HypervisorException("read image " + name + ": " + e.getMessage(), false, e);
    }
  }

  /** The images users may name, for messages. */
  public String imageNames() {
    try {
      List<String> names = store.list().stream().map(Image::name).toList();
      return names.isEmpty() ? "none yet (an admin adds them with `wirtctl image import`)"
          : String.join(", ", names);
    } catch (IOException e) {
      return "unknown (" + e.getMessage() + ")";
    }
  }

  /** The networks an admin lets new VMs have ({@code images.networks}). */
  public List<String> allowedNetworks() {
    return images.networks();
  }

  /**
   * Makes the VM of a checked create; on failure, removes what it had made.
   *
   * @return the new domain, owned by the plan's user
   */
  public ManagedDomain make(Plan p) throws HypervisorException {
    Storage storage = hypervisor.storage();
    storage.ensureDirPool(images.vmPool(), images.vmDirectory());
    List<Path> made = new ArrayList<>();
    ManagedDomain defined = null;
    try {
      Storage.Volume disk = storage.createOverlay(images.vmPool(), p.domain() + ".qcow2",
          p.image().file(), p.image().format(), p.diskGiB() * GIB);
      made.add(disk.path());
      Optional<Path> seed = Optional.empty();
      if (p.image().cloudInit()) {
        Path iso = images.vmDirectory().resolve(p.domain() + "-seed.iso");
        try {
          // libvirt made the directory when it built the pool; the test driver makes none.
          Files.createDirectories(images.vmDirectory());
          SeedIso.write(iso, p.domain(), p.hostname(), p.sshKeys());
        } catch (IOException e) {
          throw new HypervisorException("make the cloud-init seed of " + p.domain() + ": "
              + e.getMessage(), false, e);
        }
        made.add(iso);
        storage.refreshPool(images.vmPool());
        seed = Optional.of(iso);
      }
      ProvisionMetadata metadata = new ProvisionMetadata(p.image().name(), p.diskGiB(), made);
      String xml = DomainTemplate.xml(images.domainType(), p.domain(), p.vcpus(), p.memoryMiB(),
          p.image(), disk.path(), seed, p.networks(), consoleLogs.resolve(p.domain() + ".log"),
          metadata);
      ManagedDomain domain = hypervisor.define(xml, new Owner(p.user().user(), p.user().uid(),
          p.vm()));
      defined = domain;
      if (p.autostart()) {
        hypervisor.setAutostart(domain.uuid(), true);
      }
      log.info("created user={} vm={} domain={} image={} vcpus={} memoryMiB={} diskGiB={}",
          p.user().user(), p.vm(), p.domain(), p.image().name(), p.vcpus(), p.memoryMiB(),
          p.diskGiB());
      return domain;
    } catch (HypervisorException | RuntimeException e) {
      if (defined != null) {
        try {
          storage.undefineCompletely(defined.uuid());
        } catch (HypervisorException undo) {
          e.addSuppressed(undo);
        }
      }
      for (Path path : made) {
        removeVolume(storage, path);
      }
      throw e;
    }
  }

  /**
   * Undefines a VM (the {@code delete} verb checked it is off) and removes the volumes its
   * provision metadata lists, each only if it lies in the VM pool's directory: a golden image is
   * never among them.
   *
   * @return what was done
   */
  public String delete(ManagedDomain d) throws HypervisorException {
    Storage storage = hypervisor.storage();
    List<Path> volumes = ProvisionMetadata.read(storage, d).map(ProvisionMetadata::volumes)
        .orElse(List.of());
    storage.undefineCompletely(d.uuid());
    List<String> removed = new ArrayList<>();
    for (Path v : volumes) {
      if (!v.normalize().getParent().equals(images.vmDirectory())) {
        log.warn("not removing volume outside the VM pool domain={} path={}", d.name(), v);
        continue;
      }
      if (removeVolume(storage, v)) {
        removed.add(v.getFileName().toString());
      }
    }
    log.info("deleted domain={} volumes={}", d.name(), removed);
    return "deleted " + d.name() + (removed.isEmpty() ? "" : " and " + String.join(", ", removed));
  }

  /**
   * Flattens the VM's overlay on a thread of its own (it may take minutes), telling {@code
   * progress} each whole percent.
   */
  public CompletableFuture<String> flatten(ManagedDomain d, Path overlay,
      IntConsumer progress) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        QemuImg.flatten(overlay, progress);
        hypervisor.storage().refreshPool(images.vmPool());
        log.info("consolidated domain={} overlay={}", d.name(), overlay);
        return "consolidated " + d.name() + ": its disk no longer has a backing file";
      } catch (IOException | HypervisorException e) {
        throw new CompletionException(new HypervisorException("consolidate " + d.name() + ": "
            + e.getMessage(), false, e));
      }
    }, consolidations);
  }

  private boolean removeVolume(Storage storage, Path path) {
    try {
      if (storage.deleteVolume(path)) {
        return true;
      }
      // A file libvirt does not list (the test driver keeps no files): remove it directly.
      return Files.deleteIfExists(path);
    } catch (HypervisorException | IOException e) {
      log.error("cannot remove volume path={}", path, e);
      return false;
    }
  }

  /** A DNS label from a VM name: '_' becomes '-', and no '-' at either end. */
  public static String hostname(String vm) {
    String label = vm.replace('_', '-').replaceAll("^-+|-+$", "");
    return label.isEmpty() ? "vm" : label;
  }
}
