package io.runnel.connect.plugins;

import java.util.Locale;
import org.apache.kafka.connect.sink.SinkConnector;
import org.apache.kafka.connect.source.SourceConnector;
import org.apache.kafka.connect.storage.Converter;
import org.apache.kafka.connect.storage.HeaderConverter;
import org.apache.kafka.connect.transforms.Transformation;
import org.apache.kafka.connect.transforms.predicates.Predicate;

/** The kinds of plugin the runtime loads, with the names Kafka Connect's REST API gives them. */
public enum PluginType {
    SOURCE(SourceConnector.class, "Connector"),
    SINK(SinkConnector.class, "Connector"),
    CONVERTER(Converter.class, "Converter"),
    HEADER_CONVERTER(HeaderConverter.class, "Converter"),
    TRANSFORMATION(Transformation.class, ""),
    PREDICATE(Predicate.class, "");

    private final Class<?> spi;
    private final String suffix;

    PluginType(Class<?> spi, String suffix) {
        this.spi = spi;
        this.suffix = suffix;
    }

    public Class<?> spi() {
        return spi;
    }

    /** The class name suffix an alias may leave off ({@code FileStreamSource} for {@code FileStreamSourceConnector}). */
    String suffix() {
        return suffix;
    }

    /** As the REST API spells it: {@code source}, {@code sink}, {@code converter}, {@code header_converter}, ... */
    public String restName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
