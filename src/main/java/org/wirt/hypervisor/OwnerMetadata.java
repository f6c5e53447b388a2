package org.wirt.hypervisor;

import java.util.Set;
import java.util.regex.Pattern;
import javax.xml.XMLConstants;
import org.w3c.dom.Attr;
import org.w3c.dom.Element;
import org.w3c.dom.NamedNodeMap;
import org.w3c.dom.Node;
import org.xml.sax.SAXException;

/**
 * wirt's owner element in a domain's {@code <metadata>} (SPEC 3):
 * {@code <wirt:owner xmlns:wirt="https://wirt.dev/xmlns/owner/1" user="alice" uid="1001" vm="web"/>}.
 */
final class OwnerMetadata {
  static final String NAMESPACE = "https://wirt.dev/xmlns/owner/1";
  static final String PREFIX = "wirt";
  static final String ELEMENT = "owner";

  /** SPEC 2's {@code <vm>}. */
  static final Pattern VM = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,47}");

  /** Login names as NSS sources hand them out, including SSSD's {@code user@domain}. */
  static final Pattern USER = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.@-]{0,254}\\$?");

  private static final Set<String> ATTRIBUTES = Set.of("user", "uid", "vm");

  private OwnerMetadata() {}

  /** Throws {@link IllegalArgumentException} naming the bad part when {@code owner} cannot be recorded. */
  static void check(Owner owner) {
    if (!USER.matcher(owner.user()).matches()) {
      throw new IllegalArgumentException("invalid user name '" + printable(owner.user()) + "'");
    }
    if (owner.uid() < 0) {
      throw new IllegalArgumentException("invalid uid " + owner.uid());
    }
    if (!VM.matcher(owner.vm()).matches()) {
      throw new IllegalArgumentException(
          "invalid vm name '" + printable(owner.vm()) + "': expected " + VM.pattern());
    }
  }

  /** Returns the element to hand to {@code virDomainSetMetadata}; libvirt adds the namespace. */
  static String toXml(Owner owner) {
    check(owner);
    return "<" + ELEMENT + " user=\"" + escape(owner.user()) + "\" uid=\"" + owner.uid()
        + "\" vm=\"" + escape(owner.vm()) + "\"/>";
  }

  /**
   * Parses what {@code virDomainGetMetadata} returned.
   *
   * @throws IllegalArgumentException naming what is wrong, for anything but one owner element
   *     (in wirt's namespace or, as libvirt returns it, in none) with valid {@code user}, {@code
   *     uid} and {@code vm} and nothing else
   */
  static Owner parse(String xml) {
    Element root = parseElement(xml);
    // libvirt selects the element by namespace and hands it back without one.
    String namespace = root.getNamespaceURI();
    if ((namespace != null && !NAMESPACE.equals(namespace)) || !ELEMENT.equals(root.getLocalName())) {
      throw new IllegalArgumentException(
          "expected element {" + NAMESPACE + "}" + ELEMENT + ", found {" + root.getNamespaceURI()
              + "}" + root.getLocalName());
    }
    for (Node child = root.getFirstChild(); child != null; child = child.getNextSibling()) {
      boolean blank = child.getNodeType() == Node.TEXT_NODE && child.getTextContent().isBlank();
      if (!blank && child.getNodeType() != Node.COMMENT_NODE) {
        throw new IllegalArgumentException("unexpected content inside " + ELEMENT);
      }
    }
    NamedNodeMap attributes = root.getAttributes();
    for (int i = 0; i < attributes.getLength(); i++) {
      Attr attribute = (Attr) attributes.item(i);
      boolean namespaceDeclaration = XMLConstants.XMLNS_ATTRIBUTE_NS_URI.equals(attribute.getNamespaceURI());
      boolean known = attribute.getNamespaceURI() == null && ATTRIBUTES.contains(attribute.getLocalName());
      if (!namespaceDeclaration && !known) {
        throw new IllegalArgumentException("unexpected attribute " + attribute.getName());
      }
    }
    Owner owner = new Owner(required(root, "user"), uid(required(root, "uid")), required(root, "vm"));
    check(owner);
    return owner;
  }

  private static String required(Element element, String name) {
    if (!element.hasAttributeNS(null, name)) {
      throw new IllegalArgumentException("missing attribute " + name);
    }
    return element.getAttributeNS(null, name);
  }

  private static int uid(String text) {
    if (!text.matches("[0-9]{1,10}")) {
      throw new IllegalArgumentException("invalid uid '" + printable(text) + "'");
    }
    long uid = Long.parseLong(text);
    if (uid > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("uid out of range: " + text);
    }
    return (int) uid;
  }

  private static Element parseElement(String xml) {
    if (xml == null || xml.isBlank()) {
      throw new IllegalArgumentException("empty metadata");
    }
    try {
      return Xml.parse(xml).getDocumentElement();
    } catch (SAXException e) {
      throw new IllegalArgumentException("not well-formed XML: " + e.getMessage(), e);
    }
  }

  static String escape(String value) {
    StringBuilder out = new StringBuilder(value.length() + 16);
    value.codePoints().forEach(c -> {
      switch (c) {
        case '&' -> out.append("&amp;");
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&apos;");
        default -> {
          if (c < 0x20) {
            out.append("&#").append(c).append(';');
          } else {
            out.appendCodePoint(c);
          }
        }
      }
    });
    return out.toString();
  }

  private static String printable(String value) {
    return value.codePoints()
        .collect(StringBuilder::new,
            (b, c) -> {
              if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\x%02x", c));
              } else {
                b.appendCodePoint(c);
              }
            },
            StringBuilder::append)
        .toString();
  }
}
