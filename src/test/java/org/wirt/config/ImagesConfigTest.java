package org.wirt.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ImagesConfigTest {

  @Test
  void defaultsPutVmDisksBesideTheImagesOnThePackagesNetwork() throws ConfigException {
    ImagesConfig images = ConfigLoader.parse("t", "{\"images\": {\"directory\": \"/srv/img\"}}").images();
    assertEquals(new ImagesConfig("wirt-images", Path.of("/srv/img"), "wirt-vms", Path.of("/srv/vms"),
        "kvm", List.of("wirt")), images);
  }

  @Test
  void takesNetworksAndDomainType() throws ConfigException {
    ImagesConfig images = ConfigLoader.parse("t",
        "{\"images\": {\"networks\": [\"lan\"], \"domainType\": \"qemu\"}}").images();
    assertEquals(List.of("lan"), images.networks());
    assertEquals("qemu", images.domainType());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', textBlock = """
      {"directory": "/a", "vmDirectory": "/a"} | t: 'images.vmDirectory' must differ from 'images.directory': golden images and VM disks live in pools of their own
      {"pool": "p", "vmPool": "p"}             | t: 'images.vmPool' must differ from 'images.pool', like "wirt-vms"
      {"domainType": "xen"}                    | t: 'images.domainType' must be "kvm", "qemu" (emulation without KVM) or "test" (libvirt's test driver)
      {"networks": "default"}                  | t: 'images.networks' must be a list of libvirt network names, like ["default"]
      {"networks": ["a b"]}                    | t: 'images.networks' holds "a b"; each entry must be a libvirt network name, like "default"
      {"vmdir": "/x"}                          | t: unknown key 'images.vmdir'; known keys here: directory, domainType, networks, pool, vmDirectory, vmPool
      """)
  void refusesBadImagesKeysNamingThem(String images, String message) {
    ConfigException e = assertThrows(ConfigException.class,
        () -> ConfigLoader.parse("t", "{\"images\": " + images + "}"));
    assertEquals(message, e.getMessage());
  }
}
