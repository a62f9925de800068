package io.runnel.connect.runtime;

import io.runnel.connect.plugins.PluginType;
import io.runnel.connect.plugins.Plugins;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.connector.ConnectRecord;
import org.apache.kafka.connect.transforms.Transformation;
import org.apache.kafka.connect.transforms.predicates.Predicate;

/**
 * The single message transforms of a connector ({@code transforms=a,b}, {@code transforms.a.type},
 * {@code transforms.a.predicate}, {@code transforms.a.negate}), applied in order. A transform that
 * returns null drops the record.
 */
public final class TransformationChain<R extends ConnectRecord<R>> implements AutoCloseable {

    private record Stage<R extends ConnectRecord<R>>(
            String alias, Transformation<R> transformation, Predicate<R> predicate, boolean negate) {

        boolean applies(R record) {
            return predicate == null || predicate.test(record) != negate;
        }
    }

    private final List<Stage<R>> stages;
    private final List<Predicate<R>> predicates;

    private TransformationChain(List<Stage<R>> stages, List<Predicate<R>> predicates) {
        this.stages = stages;
        this.predicates = predicates;
    }

    @SuppressWarnings("unchecked")
    public static <R extends ConnectRecord<R>> TransformationChain<R> create(
            Plugins plugins, Map<String, String> config) {
        Map<String, Predicate<R>> predicates = new HashMap<>();
        for (String alias : list(config.get(ConnectorConfigs.PREDICATES))) {
            String prefix = "predicates." + alias + ".";
            Predicate<R> predicate = plugins.newInstance(
                    plugins.pluginClass(config.get(prefix + "type"), PluginType.PREDICATE), Predicate.class);
            predicate.configure(Converters.withPrefix(config, prefix));
            predicates.put(alias, predicate);
        }
        List<Stage<R>> stages = new ArrayList<>();
        for (String alias : list(config.get(ConnectorConfigs.TRANSFORMS))) {
            String prefix = "transforms." + alias + ".";
            Transformation<R> transformation = plugins.newInstance(
                    plugins.pluginClass(config.get(prefix + "type"), PluginType.TRANSFORMATION), Transformation.class);
            transformation.configure(Converters.withPrefix(config, prefix));
            String predicate = config.get(prefix + "predicate");
            stages.add(new Stage<>(
                    alias,
                    transformation,
                    predicate == null || predicate.isBlank() ? null : predicates.get(predicate),
                    Boolean.parseBoolean(config.getOrDefault(prefix + "negate", "false"))));
        }
        return new TransformationChain<>(stages, List.copyOf(predicates.values()));
    }

    /** Applies the transforms through the error handler; null if the record is dropped or failed. */
    public R apply(R record, ErrorHandler errors, ErrorHandler.Context context) {
        R current = record;
        for (Stage<R> stage : stages) {
            R input = current;
            current = errors.execute(
                    ErrorHandler.Stage.TRANSFORMATION,
                    stage.transformation().getClass(),
                    context,
                    () -> stage.applies(input) ? stage.transformation().apply(input) : input);
            if (current == null) {
                return null;
            }
        }
        return current;
    }

    private static List<String> list(String value) {
        return value == null || value.isBlank()
                ? List.of()
                : List.of(value.trim().split("\\s*,\\s*"));
    }

    @Override
    public void close() {
        stages.forEach(s -> s.transformation().close());
        predicates.forEach(Predicate::close);
    }
}
