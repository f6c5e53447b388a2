package org.wirt.verbs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.wirt.command.Command;
import org.wirt.command.CommandParser;
import org.wirt.command.Refusal;
import org.wirt.hypervisor.DomainNames;
import org.wirt.hypervisor.Hypervisor;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.command.NetworkNames;
import org.wirt.provision.Image;
import org.wirt.provision.Provisioner;
import org.wirt.tree.HomeTree;
import org.wirt.tree.Identity;
import org.wirt.tree.ReadResult;

/**
 * {@code create} (SPEC 5): a new VM on a golden image, within the quota. It is claimed before its
 * domain exists, under the name it will have, and never repeated after a crash.
 */
final class Create implements Action<Command.Create> {
  private static final int MAX_AUTHORIZED_KEYS_BYTES = 256 * 1024;

  private final Hypervisor hypervisor;
  private final Provisioner provisioner;
  private final QuotaChecks quotas;
  private final Domains domains;
  private final String namePattern;

  Create(Hypervisor hypervisor, Provisioner provisioner, QuotaChecks quotas, Domains domains,
      String namePattern) {
    this.hypervisor = Objects.requireNonNull(hypervisor, "hypervisor");
    this.provisioner = Objects.requireNonNull(provisioner, "provisioner");
    this.quotas = Objects.requireNonNull(quotas, "quotas");
    this.domains = Objects.requireNonNull(domains, "domains");
    this.namePattern = Objects.requireNonNull(namePattern, "namePattern");
  }

  @Override
  public Class<Command.Create> type() {
    return Command.Create.class;
  }

  @Override
  public Checked check(Target target, Command.Create c) throws Refusal, HypervisorException {
    String vm = target.vm();
    if (target.found().isPresent()) {
      throw new Refusal("VM '" + vm + "' exists already (domain " + target.found().get().name()
          + "); write 'delete' first to replace it, or create another VM name");
    }
    Identity user = target.user();
    Image image = provisioner.image(c.image()).orElseThrow(() -> new Refusal("there is no image "
        + CommandParser.quote(c.image()) + "; images: " + provisioner.imageNames()));
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
    quotas.checkCreate(user, domains.ownedBy(user), vcpus, memory, disk);
    List<String> keys = c.sshKeys() != null ? c.sshKeys()
        : image.cloudInit() ? authorizedKeys(target.tree()) : List.of();
    String hostname = c.hostname() != null ? c.hostname() : Provisioner.hostname(vm);
    List<String> networks = NetworkNames.choose(c.networks(), provisioner.allowedNetworks(),
        hypervisor.storage()::networkExists);
    Provisioner.Plan plan = new Provisioner.Plan(user, vm, domain, image, vcpus, memory, disk,
        c.autostart() != null && c.autostart(), hostname, keys, networks);
    return Checked.toMake(domain, self -> {
      // Checked again where no other start or create of the user can interleave.
      ManagedDomain made = quotas.createWithinQuota(user, vcpus, memory, disk,
          () -> provisioner.make(plan));
      self.madeDomain(made);
      domains.changed();
      return Checked.done("created " + made.name() + " from image " + image.name() + " ("
          + vcpus + " vCPUs, " + memory + " MiB, " + disk + " GiB); write 'start' to boot it");
    });
  }

  /** Looks for what the create made; whatever it finds, the create is not repeated. */
  @Override
  public Reconciled reconcile(Interrupted interrupted, Command.Create command) {
    Optional<ManagedDomain> made = domains.ownedBy(interrupted.user()).stream()
        .filter(d -> d.owner().vm().equals(interrupted.vm())).findFirst();
    String domain = interrupted.domainName();
    return new Reconciled("wirtd stopped while this create ran; " + (made.isPresent()
        ? "it had taken effect: " + made.get().name() + " is defined"
        : "no domain was defined and the create is not repeated; volumes it may have made "
            + "are left for an admin (" + domain + ".qcow2, " + domain
            + "-seed.iso in the VM pool)"), made);
  }

  private static List<String> authorizedKeys(HomeTree tree) throws Refusal {
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
}
