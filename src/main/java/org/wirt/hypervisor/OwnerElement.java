package org.wirt.hypervisor;

import java.util.Optional;
import org.libvirt.Domain;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.LibvirtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reads and writes wirt's owner element ({@link OwnerMetadata}) in a libvirt domain. */
final class OwnerElement {
  private static final Logger log = LoggerFactory.getLogger(OwnerElement.class);
  private static final int METADATA_ELEMENT = Domain.MetadataType.ELEMENT;
  private static final int AFFECT_LIVE = 1;
  private static final int AFFECT_CONFIG = 2;

  private OwnerElement() {}

  /** The domain's owner; empty if it has no owner element, or one wirt cannot read (logged). */
  static Optional<Owner> read(Domain domain) throws LibvirtException {
    String xml;
    try {
      xml = domain.getMetadata(METADATA_ELEMENT, OwnerMetadata.NAMESPACE, 0);
    } catch (LibvirtException e) {
      if (LibvirtErrors.is(e, ErrorNumber.VIR_ERR_NO_DOMAIN_METADATA)) {
        return Optional.empty();
      }
      throw e;
    }
    try {
      return Optional.of(OwnerMetadata.parse(xml));
    } catch (IllegalArgumentException e) {
      log.warn("ignoring domain with malformed wirt metadata domain={} uuid={}",
          LibvirtHandles.nameOr(domain, "(unknown domain)"), domain.getUUIDString(), e);
      return Optional.empty();
    }
  }

  /**
   * Writes (or with {@code null} removes) the owner element in the persistent definition and, if
   * the domain runs, the live one, so both agree whichever libvirt reads next.
   */
  static void write(Domain domain, String xml) throws LibvirtException {
    for (int attempt = 1; ; attempt++) {
      int flags = (domain.isPersistent() == 1 ? AFFECT_CONFIG : 0)
          | (domain.isActive() == 1 ? AFFECT_LIVE : 0);
      try {
        domain.setMetadata(METADATA_ELEMENT, xml, xml == null ? null : OwnerMetadata.PREFIX,
            OwnerMetadata.NAMESPACE, flags);
        return;
      } catch (LibvirtException e) {
        // The domain started or stopped between our look and the write: look again, once.
        if (attempt > 1 || !LibvirtErrors.is(e, ErrorNumber.VIR_ERR_OPERATION_INVALID)) {
          throw e;
        }
      }
    }
  }
}
