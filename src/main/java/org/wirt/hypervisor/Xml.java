package org.wirt.hypervisor;

import java.io.IOException;
import java.io.StringReader;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;

/**
 * Parses XML that libvirt hands back (domain, volume and metadata text, which users may have
 * influenced): no DTDs, no entities, no outside reads. One parser per thread, since building a
 * factory costs a service lookup and a parser's setup showed in profiles at every command.
 */
public final class Xml {
  private static final ThreadLocal<DocumentBuilder> PARSER = ThreadLocal.withInitial(() -> {
    try {
      DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
      factory.setNamespaceAware(true);
      factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
      factory.setXIncludeAware(false);
      factory.setExpandEntityReferences(false);
      DocumentBuilder builder = factory.newDocumentBuilder();
      builder.setErrorHandler(null);
      return builder;
    } catch (ParserConfigurationException e) {
      throw new IllegalStateException("the JDK's XML parser lacks a required feature", e);
    }
  });

  private Xml() {}

  /** Parses a whole document; an error names what was not well-formed. */
  public static Document parse(String xml) throws SAXException {
    DocumentBuilder builder = PARSER.get();
    try {
      return builder.parse(new InputSource(new StringReader(xml)));
    } catch (IOException e) {
      // A StringReader does not fail; a parser reports its own trouble as SAXException.
      throw new SAXException(e);
    } finally {
      builder.reset();
      builder.setErrorHandler(null);
    }
  }
}
