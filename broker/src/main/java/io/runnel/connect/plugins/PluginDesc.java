package io.runnel.connect.plugins;

/** One loadable plugin class: what it is, its version, and the class loader it lives in. */
public record PluginDesc(Class<?> pluginClass, PluginType type, String version, ClassLoader loader) {

    public String className() {
        return pluginClass.getName();
    }
}
