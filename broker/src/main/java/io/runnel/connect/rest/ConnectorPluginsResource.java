package io.runnel.connect.rest;

import io.runnel.connect.plugins.PluginDesc;
import io.runnel.connect.plugins.Plugins;
import io.runnel.connect.runtime.ConfigInfos;
import io.runnel.connect.runtime.ConfigValidator;
import io.runnel.connect.runtime.ConnectorConfigs;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import java.util.Map;

/** Kafka Connect's {@code /connector-plugins}: what is installed, and config validation. */
@Path("/connector-plugins")
@Produces(MediaType.APPLICATION_JSON)
public class ConnectorPluginsResource {

    @Inject
    Plugins plugins;

    @Inject
    ConfigValidator validator;

    public record PluginInfo(
            @com.fasterxml.jackson.annotation.JsonProperty("class")
            String className,

            String type,
            String version) {}

    @GET
    public List<PluginInfo> list(@QueryParam("connectorsOnly") @DefaultValue("true") boolean connectorsOnly) {
        return (connectorsOnly ? plugins.connectors() : plugins.all())
                .stream()
                        .map(p -> new PluginInfo(p.className(), p.type().restName(), plugins.version(p)))
                        .toList();
    }

    @PUT
    @Path("/{plugin}/config/validate")
    @Consumes(MediaType.WILDCARD)
    public ConfigInfos validate(@PathParam("plugin") String plugin, String body) {
        PluginDesc desc = connector(plugin);
        Map<String, String> config = RestBodies.config(RestBodies.parse(body), "Connector config");
        String included = config.get(ConnectorConfigs.CONNECTOR_CLASS);
        if (included != null && plugins.connector(included).map(d -> d != desc).orElse(true)) {
            throw ConnectRestException.badRequest(
                    "Included connector type " + included + " does not match request type " + plugin);
        }
        config.putIfAbsent(ConnectorConfigs.CONNECTOR_CLASS, desc.className());
        return validator.validate(desc, config);
    }

    @GET
    @Path("/{plugin}/config")
    public List<ConfigInfos.ConfigKeyInfo> config(@PathParam("plugin") String plugin) {
        return validator.pluginConfig(connector(plugin));
    }

    private PluginDesc connector(String plugin) {
        return plugins.connector(plugin)
                .orElseThrow(() -> new ConnectRestException(
                        404,
                        "Connector plugin " + plugin + " not found; the installed ones are "
                                + plugins.connectors().stream()
                                        .map(PluginDesc::className)
                                        .toList()));
    }
}
