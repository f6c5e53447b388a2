package org.wirt.verbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.wirt.command.Command;
import org.wirt.command.Refusal;
import org.wirt.config.ImagesConfig;
import org.wirt.config.QuotaConfig.Quota;
import org.wirt.config.QuotaConfig;
import org.wirt.hypervisor.DomainState;
import org.wirt.hypervisor.HypervisorException;
import org.wirt.hypervisor.LibvirtHypervisor;
import org.wirt.hypervisor.ManagedDomain;
import org.wirt.hypervisor.Owner;
import org.wirt.provision.Provisioner;
import org.wirt.status.VmFacts;
import org.wirt.tree.HomeTree;
import org.wirt.tree.Identity;

/**
 * The verbs on libvirt's {@code test:///default} driver: what a command checks, does and says, as
 * the verb × state table decides it, and what a reconcile after a crash repeats.
 */
final class VerbsTest {
  private static final Identity ALICE = new Identity("alice", 4242, 4242, new int[0]);

  private LibvirtHypervisor hypervisor;
  private ScheduledExecutorService timer;
  private final List<ManagedDomain> owned = new ArrayList<>();
  private Verbs verbs;
  private HomeTree tree;
  private ManagedDomain web;

  @BeforeEach
  void open() throws Exception {
    hypervisor = LibvirtHypervisor.open("test:///default");
    timer = Executors.newSingleThreadScheduledExecutor();
    Domains domains = new Domains() {
      @Override
      public Optional<ManagedDomain> find(Identity user, String vm) {
        return owned.stream().filter(d -> d.owner().vm().equals(vm)).findFirst();
      }

      @Override
      public List<ManagedDomain> ownedBy(Identity user) {
        return List.copyOf(owned);
      }

      @Override
      public void changed() {}
    };
    ImagesConfig images = new ImagesConfig("p", Path.of("/nonexistent/images"), "v",
        Path.of("/nonexistent/vms"), "test", List.of());
    QuotaChecks quotas = new QuotaChecks(hypervisor, new VmFacts(hypervisor),
        new QuotaConfig(new Quota(3, 8, 8192, 100), Map.of(), Map.of()), (user, group) -> false);
    verbs = new Verbs(hypervisor, domains, quotas, new Provisioner(hypervisor, images, Path.of("/nonexistent/console")),
        "{user}-{vm}", (t, vm, verb, percent) -> {}, timer, Clock.systemUTC());
    tree = new HomeTree(ALICE, Path.of("/nonexistent/home/alice"), "wirt");
    String name = "alice-web-" + UUID.randomUUID().toString().substring(0, 8);
    web = hypervisor.define("<domain type='test'><name>" + name + "</name>"
        + "<memory unit='MiB'>256</memory><vcpu>1</vcpu>"
        + "<os><type arch='x86_64'>hvm</type></os></domain>",
        new Owner(ALICE.user(), ALICE.uid(), "web"));
    owned.add(web);
  }

  @AfterEach
  void close() {
    timer.shutdownNow();
    hypervisor.close();
  }

  @Test
  void startBootsTheVmAndSaysSoWhenItRunsAlready() throws Exception {
    assertEquals("started " + web.name(), run(new Command.Start()));
    assertEquals(DomainState.RUNNING, state());
    assertEquals(web.name() + " is already running", run(new Command.Start()));
  }

  @Test
  void aVerbThatCannotActFromTheStateFailsNamingTheRemedy() throws Exception {
    assertEquals("suspend " + web.name() + ": it is shutoff, not running; write 'start' to boot it",
        failure(new Command.Suspend()));
    assertEquals("resume " + web.name() + ": it is shutoff, not paused; write 'start' to boot it",
        failure(new Command.Resume()));
    assertEquals(web.name() + " is already off", run(new Command.Destroy()));
    run(new Command.Start());
    run(new Command.Suspend());
    assertEquals(web.name() + " is already paused", run(new Command.Suspend()));
    assertEquals("stop " + web.name() + ": it is paused and cannot react to the power button; "
        + "write 'resume' first, or 'destroy' to power it off",
        failure(new Command.Stop(Command.Stop.DEFAULT_TIMEOUT, false)));
    assertEquals("resumed " + web.name(), run(new Command.Resume()));
    assertEquals(web.name() + " is running", run(new Command.Status()));
  }

  @Test
  void aVmThatIsNotTheUsersIsRefusedWithTheRemedy() {
    owned.clear();
    Refusal start = assertThrows(Refusal.class,
        () -> verbs.check(tree, "web", new Command.Start()));
    assertEquals("VM 'web' is not yours: no domain carries owner metadata for alice/web; ask an "
        + "admin to run `wirtctl assign <domain> alice web`, or write 'create'",
        start.getMessage());
    Refusal destroy = assertThrows(Refusal.class,
        () -> verbs.check(tree, "web", new Command.Destroy()));
    assertEquals("VM 'web' is not yours: no domain carries owner metadata for alice/web; ask an "
        + "admin to run `wirtctl assign <domain> alice web`", destroy.getMessage());
  }

  @Test
  void aSnapshotNeedsTheVmShutOff() throws Exception {
    run(new Command.Start());
    Refusal r = assertThrows(Refusal.class,
        () -> verbs.check(tree, "web", new Command.Snapshot("one")));
    assertEquals("'snapshot' needs VM 'web' shut off, and it is running; write 'stop' first",
        r.getMessage());
  }

  @Test
  void aReconcileRepeatsAStartButNeverAReboot() throws Exception {
    assertEquals("wirtd stopped while this command ran; found " + web.name() + " shutoff; "
        + "started it", reconcile(new Command.Start()));
    assertEquals(DomainState.RUNNING, state());
    assertEquals("wirtd stopped while this command ran; found " + web.name() + " running: the "
        + "start had taken effect", reconcile(new Command.Start()));
    assertEquals("wirtd stopped while this command ran; found " + web.name() + " running; a "
        + "reboot may or may not have happened and is not repeated",
        reconcile(new Command.Reboot()));
    assertEquals("wirtd stopped while this command ran; found " + web.name() + " running; "
        + "nothing to repeat", reconcile(new Command.Config(2, null, null)));
  }

  @Test
  void aReconcileLeavesAVmAloneWhereTheVerbCannotAct() throws Exception {
    run(new Command.Start());
    run(new Command.Suspend());
    Command.Stop stop = new Command.Stop(Command.Stop.DEFAULT_TIMEOUT, false);
    assertEquals("wirtd stopped while this command ran; found " + web.name() + " paused; left "
        + "it as it is", reconcile(stop));
    assertEquals(DomainState.PAUSED, state());
    assertEquals("wirtd stopped while this command ran; found " + web.name() + " paused: the "
        + "suspend had taken effect", reconcile(new Command.Suspend()));
    run(new Command.Destroy());
    assertEquals("wirtd stopped while this command ran; found " + web.name() + " shutoff: the "
        + "stop had taken effect", reconcile(stop));
    assertEquals("wirtd stopped while this command ran; found " + web.name() + " shutoff; "
        + "nothing to do", reconcile(new Command.Resume()));
  }

  @Test
  void aReconcileOfADomainNoLongerTheUsersRepeatsNothing() throws Exception {
    Reconciled r = verbs.reconcile(new Command.Start(),
        new Interrupted(ALICE, "web", web.name(), Optional.empty()));
    assertEquals("wirtd stopped while this command ran; the domain is no longer alice's, nothing "
        + "was repeated", r.message());
    assertEquals(DomainState.SHUTOFF, state());
  }

  @Test
  void anInterruptedCreateIsNeverRepeated() throws Exception {
    owned.clear();
    Reconciled r = verbs.reconcile(new Command.Create("tiny", null, null, null, null, null, null),
        new Interrupted(ALICE, "db", "alice-db", Optional.empty()));
    assertEquals("wirtd stopped while this create ran; no domain was defined and the create is "
        + "not repeated; volumes it may have made are left for an admin (alice-db.qcow2, "
        + "alice-db-seed.iso in the VM pool)", r.message());
    assertEquals(Optional.empty(), r.domain());
  }

  private String run(Command command) throws Exception {
    return verbs.check(tree, "web", command).run().get(10, TimeUnit.SECONDS);
  }

  private String failure(Command command) throws Exception {
    ExecutionException e = assertThrows(ExecutionException.class, () -> run(command));
    assertEquals(HypervisorException.class, e.getCause().getClass());
    return e.getCause().getMessage();
  }

  private String reconcile(Command command) throws Exception {
    return verbs.reconcile(command, new Interrupted(ALICE, "web", web.name(), Optional.of(web)))
        .message();
  }

  private DomainState state() throws HypervisorException {
    return hypervisor.status(web.uuid()).state();
  }
}
