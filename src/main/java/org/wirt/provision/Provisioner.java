package org.wirt.provision;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.wirt.command.Command;
import org.wirt.command.CommandParser;
import org.wirt.command.Refusal;
import org.wirt.config.ImagesConfig;
import org.wirt.config.QuotaConfig.Quota;
import org.wirt.hypervisor.DomainNames;
import org.wirt.hypervisor.DomainState;
import org.wirt.hypervisor.DomainStatus;
import org.wirt.hypervisor.Hypervisor;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.hypervisor.Owner;
import org.wirt.hypervisor.Storage;
import org.wirt.network.NetworkNames;
import org.wirt.tree.HomeTree;
import org.wirt.tree.Identity;
import org.wirt.tree.ReadResult;

/**
 * Creates and deletes VMs (SPEC 5 {@code create}, {@code delete}) and keeps users within their
 * quotas (SPEC 9): a qcow2 overlay on a golden image, a cloud-init seed, a domain with owner and
 * provision metadata; {@code delete} removes exactly the volumes the provision metadata lists.
 */
public final class Provisioner {
  private static final Logger log = LoggerFactory.getLogger(Provisioner.class);
  private static final long GIB = 1L << 30;
  private static final int MAX_AUTHORIZED_KEYS_BYTES = 256 * 1024;

  private final Hypervisor hypervisor;
  private final ImagesConfig images;
  private final ImageStore store;
  private volatile Quotas quotas;
  private final String namePattern;
  private final GroupMembership groups;
  private final VmFacts facts;
  private final InfoReport info;
  private final Map<String, Object> locks = new ConcurrentHashMap<>();
  /** Flattening copies whole disks: it runs here, not on a worker that serves commands. */
  private final java.util.concurrent.ExecutorService consolidations =
      java.util.concurrent.Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "wirt-consolidate");
        t.setDaemon(true);
        return t;
      });

  /** Answers whether a user (by identity) is a member of a group (by name). */
  @FunctionalInterface
  public interface GroupMembership {
    boolean isMember(Identity user, String group);
  }

  private final Path consoleLogs;

  /** A checked {@code create}: everything decided, nothing made yet. */
  public record Plan(Identity user, String vm, String domain, Image image, int vcpus,
      int memoryMiB, int diskGiB, boolean autostart, String hostname, List<String> sshKeys,
      List<String> networks) {}

  public Provisioner(Hypervisor hypervisor, ImagesConfig images, Quotas quotas,
      String namePattern, GroupMembership groups, Clock clock) {
    this(hypervisor, images, quotas, namePattern, groups, clock,
        Path.of("/var/log/wirt/console"));
  }

  /** A provisioner whose VMs log their serial console into {@code consoleLogs} (root's). */
  public Provisioner(Hypervisor hypervisor, ImagesConfig images, Quotas quotas,
      String namePattern, GroupMembership groups, Clock clock, Path consoleLogs) {
    this.consoleLogs = Objects.requireNonNull(consoleLogs, "consoleLogs");
    this.hypervisor = Objects.requireNonNull(hypervisor, "hypervisor");
    this.facts = new VmFacts(hypervisor);
    this.images = Objects.requireNonNull(images, "images");
    this.store = new ImageStore(images);
    this.quotas = Objects.requireNonNull(quotas, "quotas");
    this.namePattern = Objects.requireNonNull(namePattern, "namePattern");
    this.groups = Objects.requireNonNull(groups, "groups");
    this.info = new InfoReport(facts, this::limits, Objects.requireNonNull(clock, "clock"));
  }

  /**
   * Checks a {@code create} of the user's VM {@code vm}, which has no domain yet.
   *
   * @param owned the user's VMs now
   * @throws Refusal naming what is wrong and what would be accepted
   */
  public Plan plan(HomeTree tree, String vm, Command.Create c, List<ManagedDomain> owned)
      throws Refusal, HypervisorException {
    Identity user = tree.identity();
    Image image;
    try {
      image = store.find(c.image()).orElseThrow(() -> new Refusal("there is no image "
          + CommandParser.quote(c.image()) + "; images: " + imageNames()));
    } catch (IOException e) {
      throw new HypervisorException("read image " + c.image() + ": " + e.getMessage(), false, e);
    }
    String domain;
    try {
      domain = DomainNames.format(namePattern, user.user(), vm);
    } catch (IllegalArgumentException e) {
      throw new Refusal("VM name '" + vm + "' gives no valid domain name: " + e.getMessage());
    }
    if (hypervisor.storage().domainExists(domain)) {
      throw new Refusal("the domain name " + domain + " of VM '" + vm + "' is taken by a domain "
          + "that is not yours; choose another VM name");
    }
    int vcpus = c.vcpus() != null ? c.vcpus() : image.vcpus();
    int memory = c.memoryMiB() != null ? c.memoryMiB() : image.memoryMiB();
    int disk = c.diskGiB() != null ? c.diskGiB() : image.diskGiB();
    if (disk < image.diskGiB()) {
      throw new Refusal("'create' \"diskGiB\" is " + disk + ", smaller than image '"
          + image.name() + "' (" + image.diskGiB() + " GiB); ask for " + image.diskGiB()
          + " or more");
    }
    Quota limit = limits(user).quota();
    Optional<String> over = overQuota(owned, u -> Quotas.checkCreate(limit, u, vcpus, memory, disk));
    if (over.isPresent()) {
      throw new Refusal("quota exceeded: " + over.get() + "; delete a VM or ask an admin for a "
          + "larger quota (`wirt quota` shows yours)");
    }
    List<String> keys = c.sshKeys() != null ? c.sshKeys()
        : image.cloudInit() ? authorizedKeys(tree) : List.of();
    String hostname = c.hostname() != null ? c.hostname() : hostname(vm);
    return new Plan(user, vm, domain, image, vcpus, memory, disk,
        c.autostart() != null && c.autostart(), hostname, keys,
        NetworkNames.choose(c.networks(), images.networks(),
            hypervisor.storage()::networkExists));
  }

  /**
   * Makes the VM of a plan; on failure, removes what it had made.
   *
   * @return the new domain, owned by the plan's user
   */
  public ManagedDomain create(Plan p) throws HypervisorException {
    synchronized (lock(p.user())) {
      // The plan was checked before the command was claimed; another of the user's commands may
      // have created a VM since, so the quota is checked again where no other can interleave.
      Quota limit = limits(p.user()).quota();
      Optional<String> over = overQuota(owned(p.user()),
          u -> Quotas.checkCreate(limit, u, p.vcpus(), p.memoryMiB(), p.diskGiB()));
      if (over.isPresent()) {
        throw new HypervisorException("quota exceeded: " + over.get() + "; delete a VM or ask an "
            + "admin for a larger quota (`wirt quota` shows yours)");
      }
      return make(p);
    }
  }

  /**
   * Runs a {@code start} while no other start or create of the user runs, refusing it as a
   * failure if, since it was checked, another VM of the user started and the quota would be
   * exceeded.
   */
  public <T> T startWithinQuota(Identity user, ManagedDomain d,
      java.util.function.Supplier<List<ManagedDomain>> owned, StartAction<T> start)
      throws HypervisorException {
    synchronized (lock(user)) {
      try {
        // The daemon's index suffices here: a VM it does not know yet was just made, and is off.
        checkStart(user, d, owned.get());
      } catch (Refusal r) {
        throw new HypervisorException(r.getMessage());
      }
      try {
        return start.run();
      } finally {
        // The next start of the user checks its quota against this VM's state now, not the state
        // its lifecycle event will bring a moment later.
        try {
          facts.observed(hypervisor.status(d.uuid()));
        } catch (HypervisorException e) {
          facts.changed(d.uuid());
        }
      }
    }
  }

  /** A start to run under the user's quota lock. */
  @FunctionalInterface
  public interface StartAction<T> {
    T run() throws HypervisorException;
  }

  private Object lock(Identity user) {
    return locks.computeIfAbsent(user.uid() + ":" + user.user(), k -> new Object());
  }

  /** The user's VMs as libvirt says now (not the daemon's index, which may lag). */
  private List<ManagedDomain> owned(Identity user) throws HypervisorException {
    return hypervisor.managedDomains().stream()
        .filter(d -> d.owner().uid() == user.uid() && d.owner().user().equals(user.user()))
        .toList();
  }

  private ManagedDomain make(Plan p) throws HypervisorException {
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
   * Undefines a shut-off VM and removes the volumes its provision metadata lists, each only if it
   * lies in the VM pool's directory: a golden image is never among them.
   *
   * @return what was done
   */
  public String delete(ManagedDomain d) throws HypervisorException {
    DomainState state = hypervisor.status(d.uuid()).state();
    if (state != DomainState.SHUTOFF && state != DomainState.CRASHED) {
      throw new HypervisorException("delete " + d.name() + ": it is " + state.json()
          + "; write 'stop' or 'destroy' first, then 'delete'");
    }
    Storage storage = hypervisor.storage();
    List<Path> volumes = metadata(storage, d).map(ProvisionMetadata::volumes).orElse(List.of());
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
   * Refuses a {@code config} whose vCPUs or memory the user's quota would never let run (as with
   * {@code create}); whether it can run next to the others is checked at {@code start}.
   */
  public void checkConfig(Identity user, ManagedDomain d, Command.Config c)
      throws Refusal, HypervisorException {
    Storage.NextBoot next = hypervisor.storage().nextBoot(d.uuid());
    Quota q = limits(user).quota();
    int vcpus = c.vcpus() != null ? c.vcpus() : next.vcpus();
    int memory = c.memoryMiB() != null ? c.memoryMiB() : next.memoryMiB();
    Optional<String> over = Quotas.checkCreate(q, new Quotas.Usage(0, 0, 0, 0), vcpus, memory, 0);
    if (over.isPresent()) {
      throw new Refusal("quota exceeded: " + over.get() + "; ask for less or ask an admin for a "
          + "larger quota (`wirt quota` shows yours)");
    }
  }

  /**
   * Applies a {@code config}: vCPUs and memory to the persistent definition (the next boot),
   * autostart at once.
   *
   * @return what changed and when it takes effect
   */
  public String configure(ManagedDomain d, Command.Config c) throws HypervisorException {
    Storage storage = hypervisor.storage();
    List<String> changes = new ArrayList<>();
    if (c.vcpus() != null || c.memoryMiB() != null) {
      Storage.NextBoot before = storage.nextBoot(d.uuid());
      Storage.NextBoot after = new Storage.NextBoot(
          c.vcpus() != null ? c.vcpus() : before.vcpus(),
          c.memoryMiB() != null ? c.memoryMiB() : before.memoryMiB());
      if (!after.equals(before)) {
        storage.setNextBoot(d.uuid(), after);
      }
      boolean running = isRunning(hypervisor.status(d.uuid()).state());
      changes.add(after.vcpus() + " vCPUs and " + after.memoryMiB() + " MiB "
          + (running ? "from its next boot" : "when it boots"));
    }
    if (c.autostart() != null) {
      hypervisor.setAutostart(d.uuid(), c.autostart());
      changes.add("autostart " + (c.autostart() ? "on" : "off"));
    }
    log.info("configured domain={} changes={}", d.name(), changes);
    return d.name() + ": " + String.join(", ", changes);
  }

  /**
   * Checks a snapshot verb before it is claimed: the VM must be shut off (a snapshot then holds
   * the disk only, and reverting never boots the VM past the quota), the name must exist (revert,
   * delete) or not (snapshot), and a new snapshot must fit the disk quota: each counts the
   * virtual size of the VM's disk.
   */
  public void checkSnapshot(Identity user, ManagedDomain d, Command command,
      List<ManagedDomain> owned) throws Refusal, HypervisorException {
    String name = snapshotName(command);
    Storage storage = hypervisor.storage();
    List<String> existing = storage.snapshots(d.uuid());
    String list = existing.isEmpty() ? "none" : String.join(", ", existing);
    if (command instanceof Command.Snapshot) {
      if (existing.contains(name)) {
        throw new Refusal("VM '" + d.owner().vm() + "' has a snapshot '" + name + "' already; "
            + "choose another name (snapshots: " + list + ")");
      }
      int disk = metadata(storage, d).map(ProvisionMetadata::diskGiB).orElse(0);
      Quota q = limits(user).quota();
      Optional<String> over = overQuota(owned, u -> u.diskGiB() + disk > q.diskGiB()
          ? Optional.of("disk: " + u.diskGiB() + " GiB used + " + disk + " GiB asked > "
              + q.diskGiB() + " GiB allowed")
          : Optional.empty());
      if (over.isPresent()) {
        throw new Refusal("quota exceeded: " + over.get() + " (a snapshot counts its disk's "
            + "size); delete a snapshot or ask an admin for a larger quota");
      }
    } else if (!existing.contains(name)) {
      throw new Refusal("VM '" + d.owner().vm() + "' has no snapshot '" + name + "'; snapshots: "
          + list);
    }
    if (!(command instanceof Command.SnapshotDelete)) {
      DomainState state = hypervisor.status(d.uuid()).state();
      if (state != DomainState.SHUTOFF) {
        throw new Refusal("'" + command.verb().fileName() + "' needs VM '" + d.owner().vm()
            + "' shut off, and it is " + state.json() + "; write 'stop' first");
      }
    }
  }

  /** Performs a checked snapshot verb; returns what was done. */
  public String snapshotVerb(ManagedDomain d, Command command) throws HypervisorException {
    Storage storage = hypervisor.storage();
    String name = snapshotName(command);
    if (command instanceof Command.Snapshot) {
      storage.snapshot(d.uuid(), name);
      return "took snapshot '" + name + "' of " + d.name();
    }
    if (command instanceof Command.Revert) {
      storage.revert(d.uuid(), name);
      return "reverted " + d.name() + " to snapshot '" + name + "'";
    }
    storage.deleteSnapshot(d.uuid(), name);
    return "deleted snapshot '" + name + "' of " + d.name();
  }

  private static String snapshotName(Command command) {
    if (command instanceof Command.Snapshot c) {
      return c.name();
    }
    if (command instanceof Command.Revert c) {
      return c.name();
    }
    if (command instanceof Command.SnapshotDelete c) {
      return c.name();
    }
    throw new IllegalArgumentException(command.verb().fileName() + " is no snapshot verb");
  }

  /**
   * Checks a {@code consolidate}: the VM must be one {@code create} made, still on its image,
   * shut off (nothing may write the disk meanwhile), and without snapshots (they would lose what
   * they share with the image).
   *
   * @return the overlay to flatten
   */
  public Path checkConsolidate(ManagedDomain d) throws Refusal, HypervisorException {
    Storage storage = hypervisor.storage();
    String vm = d.owner().vm();
    Optional<Path> overlay = metadata(storage, d).flatMap(m -> m.volumes().stream()
        .filter(v -> v.getFileName().toString().endsWith(".qcow2")).findFirst());
    if (overlay.isEmpty()) {
      throw new Refusal("VM '" + vm + "' was not made by 'create', so wirt does not know its disk;"
          + " an admin can flatten it");
    }
    Optional<Storage.Volume> volume = storage.volume(overlay.get());
    if (volume.isPresent() && volume.get().backingFile().isEmpty()) {
      throw new Refusal("VM '" + vm + "' stands alone already: its disk has no backing file");
    }
    DomainState state = hypervisor.status(d.uuid()).state();
    if (state != DomainState.SHUTOFF) {
      throw new Refusal("'consolidate' needs VM '" + vm + "' shut off, and it is " + state.json()
          + "; write 'stop' first");
    }
    List<String> snapshots = storage.snapshots(d.uuid());
    if (!snapshots.isEmpty()) {
      throw new Refusal("VM '" + vm + "' has snapshots (" + String.join(", ", snapshots)
          + "), which would lose what they share with the image; delete them first with "
          + "'snapshot-delete'");
    }
    return overlay.get();
  }

  /**
   * Flattens the VM's overlay on a thread of its own (it may take minutes), telling {@code
   * progress} each whole percent.
   */
  public CompletableFuture<String> consolidate(ManagedDomain d, Path overlay,
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

  /** Refuses a {@code start} that would exceed the user's running vCPUs or memory. */
  public void checkStart(Identity user, ManagedDomain d, List<ManagedDomain> owned)
      throws Refusal, HypervisorException {
    DomainStatus status = hypervisor.status(d.uuid());
    if (isRunning(status.state())) {
      return;
    }
    List<ManagedDomain> others = owned.stream().filter(o -> !o.uuid().equals(d.uuid())).toList();
    Quota limit = limits(user).quota();
    Optional<String> over = overQuota(others,
        u -> Quotas.checkStart(limit, u, status.vcpus(), status.memoryMiB()));
    if (over.isPresent()) {
      throw new Refusal("quota exceeded: " + over.get() + "; stop another VM first or ask an "
          + "admin for a larger quota (`wirt quota` shows yours)");
    }
  }

  /** Returns the limits that apply to the user and where they come from. */
  public Quotas.Limits limits(Identity user) {
    return quotas.limits(user.user(), group -> groups.isMember(user, group));
  }

  /**
   * Measures what these VMs use: all count as VMs and disk, running ones for vCPUs and memory. The
   * states are those libvirt last reported (events and commands keep them current).
   */
  public Quotas.Usage usage(List<ManagedDomain> owned) throws HypervisorException {
    return facts.usage(owned);
  }

  /**
   * Checks a quota against the usage wirt knows; a refusal is checked again against what libvirt
   * says now, so a state change not yet reported (a VM just stopped) never refuses a command. A
   * start wirt made is known at once ({@link #startWithinQuota}); one made outside wirt, as soon
   * as its lifecycle event arrives.
   */
  private Optional<String> overQuota(List<ManagedDomain> counted,
      java.util.function.Function<Quotas.Usage, Optional<String>> check)
      throws HypervisorException {
    Optional<String> over = check.apply(facts.usage(counted));
    if (over.isEmpty()) {
      return over;
    }
    facts.forget(counted);
    return check.apply(facts.usage(counted));
  }

  /** The VM's state as libvirt last reported it, if wirt has asked or been told since. */
  public Optional<DomainState> lastKnownState(java.util.UUID uuid) {
    return facts.known(uuid).map(f -> f.status().state());
  }

  /** Takes a VM's state libvirt just reported (after a command or a lifecycle event). */
  public void observed(DomainStatus status) {
    facts.observed(status);
  }

  /** The VM's definition, disk or snapshots may have changed: the next report asks libvirt. */
  public void changed(java.util.UUID uuid) {
    facts.changed(uuid);
  }

  /** Forgets what is known of every VM (libvirt reconnected: events may have been missed). */
  public void forgetAll() {
    facts.clear();
  }

  /** Forgets what is known of these VMs: the next report asks libvirt for all of it. */
  public void forget(List<ManagedDomain> owned) {
    facts.forget(owned);
  }

  /**
   * Writes {@code info/quota.json} (limits and usage) and each VM's {@code settings.json}, when
   * they changed.
   */
  public void report(HomeTree tree, List<ManagedDomain> owned) {
    info.report(tree, owned);
  }

  /**
   * Writes {@code info/quota.json} and the settings if they were not written since wirtd started
   * or its configuration was reloaded (the sweep); changes are reported where they happen.
   */
  public void reportOnce(HomeTree tree, java.util.function.Supplier<List<ManagedDomain>> owned) {
    if (!info.reported(tree.identity().user())) {
      info.report(tree, owned.get());
    }
  }

  /** Takes reloaded quotas; the next sweep reads every VM from libvirt and writes every file again. */
  public void reload(org.wirt.config.QuotaConfig next) {
    quotas = new Quotas(next);
    info.clear();
    facts.clear();
  }

  private List<String> authorizedKeys(HomeTree tree) throws Refusal {
    String where = "~" + tree.identity().user() + "/.ssh/authorized_keys";
    ReadResult read;
    try {
      read = tree.readHomeFile(List.of(".ssh"), "authorized_keys", MAX_AUTHORIZED_KEYS_BYTES);
    } catch (NoSuchFileException e) {
      return List.of();
    } catch (IOException e) {
      throw new Refusal(where + " cannot be read safely (" + e.getMessage() + "); make ~/.ssh a "
          + "directory and authorized_keys a regular file of yours, or give \"sshKeys\" in the "
          + "create file");
    }
    if (read instanceof ReadResult.Refused refused) {
      throw new Refusal(where + " " + refused.problem() + "; make it a regular file of yours "
          + "with one link, or give \"sshKeys\" in the create file");
    }
    String text = new String(((ReadResult.Content) read).bytes(), StandardCharsets.UTF_8);
    List<String> keys = new ArrayList<>();
    for (String line : text.split("\n")) {
      String key = line.strip();
      // Lines with options (from=..., command=...) are not passed on: cloud-init would drop them.
      if (CommandParser.isPublicKey(key)) {
        keys.add(key);
      }
    }
    return keys;
  }

  private Optional<ProvisionMetadata> metadata(Storage storage, ManagedDomain d)
      throws HypervisorException {
    return VmFacts.metadata(storage, d);
  }

  private boolean removeVolume(Storage storage, Path path) {
    try {
      if (storage.deleteVolume(path)) {
        return true;
      }
      // A file libvirt does not list (the test driver keeps no files): remove it directly.
      return Files.deleteIfExists(path);
    } catch (HypervisorException | IOException e) {
      log.error("cannot remove volume path={}: {}", path, e.getMessage());
      return false;
    }
  }

  /** A DNS label from a VM name: '_' becomes '-', and no '-' at either end. */
  static String hostname(String vm) {
    String label = vm.replace('_', '-').replaceAll("^-+|-+$", "");
    return label.isEmpty() ? "vm" : label;
  }

  private String imageNames() {
    try {
      List<String> names = store.list().stream().map(Image::name).toList();
      return names.isEmpty() ? "none yet (an admin adds them with `wirtctl image import`)"
          : String.join(", ", names);
    } catch (IOException e) {
      return "unknown (" + e.getMessage() + ")";
    }
  }

  static boolean isRunning(DomainState s) {
    return s == DomainState.RUNNING || s == DomainState.PAUSED || s == DomainState.BLOCKED
        || s == DomainState.SHUTDOWN || s == DomainState.PMSUSPENDED;
  }
}
