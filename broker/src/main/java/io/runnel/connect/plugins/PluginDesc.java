package io.runnel.connect.plugins;

/** One loadable plugin class: what it is and the class loader it lives in. */
public record PluginDesc(Class<?> pluginClass, PluginType type, ClassLoader loader) {

    public String className() {
        return pluginClass.getName();
    }
}
