package org.wirt.provision;

import static org.wirt.provision.ProvisionMetadata.escape;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The libvirt domain XML of a new VM: its overlay as a virtio disk, the seed as a CD-ROM, a serial
 * console that libvirt also logs to {@code consoleLog} (wirtd copies it into the owner's tree), a
 * qemu-guest-agent channel (addresses from the agent), an interface on each chosen network and
 * wirt's provision metadata. Owner metadata is written by {@code Hypervisor.define}.
 */
final class DomainTemplate {
  private DomainTemplate() {}

  static String xml(String type, String name, int vcpus, int memoryMiB, Image image, Path disk,
      Optional<Path> seed, List<String> networks, Path consoleLog, ProvisionMetadata metadata) {
    StringBuilder os = new StringBuilder("<type arch='x86_64'>hvm</type>");
    if (image.kernel().isPresent()) {
      os.append("<kernel>").append(escape(image.kernel().get().toString())).append("</kernel>");
      image.initrd().ifPresent(i -> os.append("<initrd>").append(escape(i.toString()))
          .append("</initrd>"));
      image.cmdline().ifPresent(c -> os.append("<cmdline>").append(escape(c))
          .append("</cmdline>"));
    } else {
      os.append("<boot dev='hd'/>");
    }
    StringBuilder devices = new StringBuilder();
    devices.append("<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>")
        .append("<source file='").append(escape(disk.toString())).append("'/>")
        .append("<target dev='vda' bus='virtio'/></disk>");
    seed.ifPresent(s -> devices.append("<disk type='file' device='cdrom'>")
        .append("<driver name='qemu' type='raw'/><source file='").append(escape(s.toString()))
        .append("'/><target dev='sda' bus='sata'/><readonly/></disk>"));
    for (String network : networks) {
      devices.append("<interface type='network'><source network='").append(escape(network))
          .append("'/><model type='virtio'/></interface>");
    }
    devices.append("<serial type='pty'><log file='").append(escape(consoleLog.toString()))
        .append("' append='on'/><target port='0'/></serial>")
        .append("<console type='pty'><target type='serial' port='0'/></console>")
        .append("<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/>")
        .append("</channel>");
    return "<domain type='" + escape(type) + "'>"
        + "<name>" + escape(name) + "</name>"
        + "<metadata>" + metadata.toXml() + "</metadata>"
        + "<memory unit='MiB'>" + memoryMiB + "</memory>"
        + "<vcpu>" + vcpus + "</vcpu>"
        + "<os>" + os + "</os>"
        + "<features><acpi/><apic/></features>"
        + "<on_poweroff>destroy</on_poweroff><on_reboot>restart</on_reboot>"
        + "<on_crash>destroy</on_crash>"
        + "<devices>" + devices + "</devices>"
        + "</domain>";
  }
}
