package io.runnel.connect.plugins;

import io.quarkus.runtime.Startup;
import io.runnel.config.RunnelConfig;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.connect.components.Versioned;
import org.jboss.logging.Logger;

/**
 * Finds connector, converter, transformation and predicate plugins with {@link ServiceLoader}, as
 * Kafka Connect does since KIP-898: the ones bundled with the broker on its own class path, and
 * in JVM mode the jars under {@code runnel.connect.plugin-path}, each jar (or each directory of
 * jars) in a class loader of its own whose parent is the broker's, so plugins share the Connect API
 * classes but not each other's dependencies.
 *
 * <p>Plugins are named by class name or by alias: the simple class name, or the simple name without
 * its type's suffix ({@code FileStreamSource} for {@code FileStreamSourceConnector}).
 */
@Startup
@ApplicationScoped
public class Plugins {

    private static final Logger LOG = Logger.getLogger(Plugins.class);

    @Inject
    RunnelConfig config;

    private final Map<String, PluginDesc> byClassName = new LinkedHashMap<>();
    private final Map<String, PluginDesc> byAlias = new LinkedHashMap<>();
    private final List<ClassLoader> loaders = new ArrayList<>();
    private final Map<PluginDesc, String> versions = new java.util.concurrent.ConcurrentHashMap<>();

    @PostConstruct
    void scan() {
        ClassLoader app = Plugins.class.getClassLoader();
        loaders.add(app);
        scan(app, false);
        config.connect().pluginPath().ifPresent(this::scanPluginPath);
        Map<String, Integer> aliasCounts = new LinkedHashMap<>();
        for (PluginDesc desc : byClassName.values()) {
            for (String alias : aliases(desc)) {
                aliasCounts.merge(alias, 1, Integer::sum);
            }
        }
        for (PluginDesc desc : byClassName.values()) {
            for (String alias : aliases(desc)) {
                if (aliasCounts.get(alias) == 1) { // an ambiguous alias names nothing
                    byAlias.put(alias, desc);
                }
            }
        }
        LOG.infof(
                "Connector plugins: %d classes (%d connectors)",
                byClassName.size(), connectors().size());
    }

    private void scanPluginPath(Path root) {
        if (!Files.isDirectory(root)) {
            LOG.warnf("Plugin path %s is not a directory; no plugins loaded from it", root);
            return;
        }
        try (Stream<Path> entries = Files.list(root)) {
            for (Path entry : entries.sorted().toList()) {
                List<URL> urls = pluginUrls(entry);
                if (urls.isEmpty()) {
                    continue;
                }
                URLClassLoader loader = new URLClassLoader(
                        "plugin-" + entry.getFileName(), urls.toArray(URL[]::new), Plugins.class.getClassLoader());
                loaders.add(loader);
                scan(loader, true);
            }
        } catch (IOException e) {
            LOG.errorf(e, "Could not read plugin path %s", root);
        }
    }

    private static List<URL> pluginUrls(Path entry) throws IOException {
        List<Path> jars;
        if (Files.isDirectory(entry)) {
            try (Stream<Path> files = Files.list(entry)) {
                jars = files.filter(Plugins::isJar).sorted().toList();
            }
        } else {
            jars = isJar(entry) ? List.of(entry) : List.of();
        }
        List<URL> urls = new ArrayList<>(jars.size());
        for (Path jar : jars) {
            try {
                urls.add(jar.toUri().toURL());
            } catch (MalformedURLException e) {
                throw new IOException("Bad plugin path entry " + jar, e);
            }
        }
        return urls;
    }

    private static boolean isJar(Path path) {
        return Files.isRegularFile(path) && path.getFileName().toString().endsWith(".jar");
    }

    private void scan(ClassLoader loader, boolean isolated) {
        for (PluginType type : PluginType.values()) {
            ServiceLoader<?> services = ServiceLoader.load(type.spi(), loader);
            for (ServiceLoader.Provider<?> provider : services.stream().toList()) {
                Class<?> pluginClass = provider.type();
                if (isolated && pluginClass.getClassLoader() != loader) {
                    continue; // found through the parent: already known
                }
                if (byClassName.containsKey(pluginClass.getName() + "/" + type)) {
                    continue;
                }
                byClassName.put(pluginClass.getName() + "/" + type, new PluginDesc(pluginClass, type, loader));
            }
        }
    }

    /**
     * A plugin's version ({@link Versioned}), or "undefined". Asked when listed, not at start-up:
     * finding the version means instantiating the plugin.
     */
    public String version(PluginDesc plugin) {
        return versions.computeIfAbsent(plugin, p -> {
            try {
                return newInstance(p.pluginClass(), Object.class) instanceof Versioned versioned
                        ? versioned.version()
                        : "undefined";
            } catch (RuntimeException | LinkageError e) {
                return "undefined";
            }
        });
    }

    private static List<String> aliases(PluginDesc desc) {
        String simple = desc.pluginClass().getSimpleName();
        String outer = desc.pluginClass()
                .getName()
                .substring(desc.pluginClass().getPackageName().length() + 1);
        List<String> aliases = new ArrayList<>(3);
        aliases.add(outer);
        String suffix = desc.type().suffix();
        if (!suffix.isEmpty() && simple.endsWith(suffix) && simple.length() > suffix.length()) {
            aliases.add(simple.substring(0, simple.length() - suffix.length()));
        }
        return aliases;
    }

    /** All plugins, connectors first, each sorted by class name. */
    public List<PluginDesc> all() {
        return byClassName.values().stream()
                .sorted(Comparator.comparing((PluginDesc d) -> d.type().ordinal())
                        .thenComparing(PluginDesc::className))
                .toList();
    }

    public List<PluginDesc> connectors() {
        return all().stream()
                .filter(d -> d.type() == PluginType.SOURCE || d.type() == PluginType.SINK)
                .toList();
    }

    /** The connector plugin by class name or alias. */
    public Optional<PluginDesc> connector(String name) {
        return find(name, PluginType.SOURCE).or(() -> find(name, PluginType.SINK));
    }

    private Optional<PluginDesc> find(String name, PluginType type) {
        PluginDesc desc = byClassName.get(name + "/" + type);
        if (desc == null) {
            desc = byAlias.get(name);
        }
        return desc != null && desc.type() == type ? Optional.of(desc) : Optional.empty();
    }

    /**
     * Loads a class of the given plugin kind by class name or alias: a registered plugin, or any
     * class of that kind visible to the broker or a plugin loader (Kafka Connect also accepts
     * unregistered classes). Throws ConfigException with a message naming what is wrong.
     */
    public Class<?> pluginClass(String name, PluginType type) {
        if (ByteArrayConverter.KAFKA_CLASS_NAME.equals(name)) {
            return ByteArrayConverter.class;
        }
        Optional<PluginDesc> known = find(name, type);
        if (known.isPresent()) {
            return known.get().pluginClass();
        }
        for (ClassLoader loader : loaders) {
            try {
                Class<?> found = Class.forName(name, false, loader);
                if (!type.spi().isAssignableFrom(found)) {
                    throw new ConfigException(
                            name + " is not a " + type.spi().getSimpleName() + " (it is a " + found.getName() + ")");
                }
                return found;
            } catch (ClassNotFoundException | LinkageError e) {
                // try the next loader
            }
        }
        throw new ConfigException(
                "Class " + name + " could not be found; the known " + type.restName() + " plugins are " + names(type));
    }

    private List<String> names(PluginType type) {
        return byClassName.values().stream()
                .filter(d -> d.type() == type)
                .map(PluginDesc::className)
                .sorted()
                .toList();
    }

    /** A new instance of a plugin class, created with its own class loader as context loader. */
    public <T> T newInstance(Class<?> pluginClass, Class<T> as) {
        ClassLoader previous = Thread.currentThread().getContextClassLoader();
        Thread.currentThread().setContextClassLoader(pluginClass.getClassLoader());
        try {
            return as.cast(pluginClass.getDeclaredConstructor().newInstance());
        } catch (ReflectiveOperationException e) {
            throw new ConfigException("Could not instantiate " + pluginClass.getName() + ": " + e);
        } finally {
            Thread.currentThread().setContextClassLoader(previous);
        }
    }

    /** Runs plugin code with the plugin's class loader as the thread's context class loader. */
    public static <T> T withLoader(ClassLoader loader, Supplier<T> action) {
        ClassLoader previous = Thread.currentThread().getContextClassLoader();
        Thread.currentThread().setContextClassLoader(loader);
        try {
            return action.get();
        } finally {
            Thread.currentThread().setContextClassLoader(previous);
        }
    }

    public Collection<ClassLoader> loaders() {
        return loaders;
    }
}
