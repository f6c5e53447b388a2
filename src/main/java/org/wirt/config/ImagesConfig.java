package org.wirt.config;

import java.nio.file.Path;

/** Where golden images live (SPEC 9 {@code images}): a libvirt storage pool wirt owns. */
public record ImagesConfig(String pool, Path directory) {}
