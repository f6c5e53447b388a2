package org.wirt.config;

import java.nio.file.Path;
import java.util.List;
import org.wirt.text.Fields;

/**
 * Where golden images and VM disks live and how new VMs are defined (SPEC 9 {@code images}).
 *
 * @param pool the libvirt directory pool of golden images, wirt's own
 * @param directory that pool's directory
 * @param vmPool the libvirt directory pool of the VMs' overlays and cloud-init seeds
 * @param vmDirectory that pool's directory
 * @param domainType the libvirt domain type of new VMs: {@code kvm}, or {@code qemu} without KVM
 * @param networks the libvirt networks users may name in a {@code create}; one that names none
 *     gets an interface on each of these that exists; default {@code ["wirt"]}, the package's
 */
public record ImagesConfig(String pool, Path directory, String vmPool, Path vmDirectory,
    String domainType, List<String> networks) {

  public ImagesConfig {
    Fields.requireNonNull("pool directory vmPool vmDirectory domainType",
        pool, directory, vmPool, vmDirectory, domainType);
    networks = List.copyOf(networks);
  }
}
