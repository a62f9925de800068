package io.runnel.connect.rest;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import io.runnel.connect.plugins.PluginDesc;
import io.runnel.connect.plugins.PluginType;
import io.runnel.connect.plugins.Plugins;
import io.runnel.connect.runtime.ConfigInfos;
import io.runnel.connect.runtime.ConfigValidator;
import io.runnel.connect.runtime.ConnectHerder;
import io.runnel.connect.runtime.ConnectorConfigs;
import io.runnel.connect.runtime.TaskState;
import io.runnel.connect.storage.ConnectStore;
import io.runnel.connect.storage.ConnectStore.ConnectorRow;
import io.runnel.connect.storage.ConnectStore.StatusRow;
import io.runnel.connect.storage.ConnectStore.TargetState;
import io.runnel.connect.storage.ConnectStore.TaskRow;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriBuilder;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Kafka Connect's REST API for connectors, with its paths, JSON shapes and status codes: 201 for a
 * created connector, 202 for pause/resume/stop and restarts that report status, 204 for deletes and
 * plain restarts, 400 with the validation messages for an invalid config, 404 for an unknown
 * connector or task, 409 for a name in use.
 */
@Path("/connectors")
@Produces(MediaType.APPLICATION_JSON)
public class ConnectorsResource {

    @Inject
    ConnectStore store;

    @Inject
    Plugins plugins;

    @Inject
    ConfigValidator validator;

    @Inject
    ConnectHerder herder;

    @Inject
    ConnectorOffsets offsets;

    public record TaskIdInfo(String connector, int task) {}

    public record TaskInfo(TaskIdInfo id, Map<String, String> config) {}

    public record ConnectorInfo(String name, Map<String, String> config, List<TaskIdInfo> tasks, String type) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record StateInfo(
            String state, @JsonProperty("worker_id") String workerId, String trace) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record TaskStateInfo(
            int id, String state, @JsonProperty("worker_id") String workerId, String trace) {}

    public record ConnectorStateInfo(String name, StateInfo connector, List<TaskStateInfo> tasks, String type) {}

    public record Message(String message) {}

    @GET
    public Object list(@QueryParam("expand") List<String> expand) {
        List<ConnectorRow> rows = store.connectors();
        if (expand == null || expand.isEmpty()) {
            return rows.stream().map(ConnectorRow::name).toList();
        }
        // checked before the loop, so the answer does not depend on whether there are connectors
        for (String what : expand) {
            if (!what.equals("status") && !what.equals("info")) {
                throw ConnectRestException.badRequest("Unknown expand value '" + what + "'; use status or info");
            }
        }
        Map<String, Map<String, Object>> expanded = new LinkedHashMap<>();
        for (ConnectorRow row : rows) {
            Map<String, Object> entry = new LinkedHashMap<>();
            for (String what : expand) {
                entry.put(what, what.equals("status") ? status(row) : info(row));
            }
            expanded.put(row.name(), entry);
        }
        return expanded;
    }

    @POST
    @Consumes(MediaType.WILDCARD)
    public Response create(String body) {
        JsonNode request = RestBodies.parse(body);
        JsonNode nameNode = request.get("name");
        Map<String, String> config = RestBodies.config(request.get("config"), "Connector config");
        String name = nameNode == null || nameNode.isNull() ? config.get(ConnectorConfigs.NAME) : nameNode.asText();
        checkName(name);
        if (config.containsKey(ConnectorConfigs.NAME)
                && !config.get(ConnectorConfigs.NAME).equals(name)) {
            throw ConnectRestException.badRequest("Connector name configuration (" + config.get(ConnectorConfigs.NAME)
                    + ") doesn't match connector name in the URL (" + name + ")");
        }
        config.put(ConnectorConfigs.NAME, name);
        TargetState initial = initialState(request.get("initial_state"));
        if (store.connector(name).isPresent()) {
            throw new ConnectRestException(409, "Connector " + name + " already exists");
        }
        validate(config);
        if (!store.createConnector(name, config, initial)) {
            throw new ConnectRestException(409, "Connector " + name + " already exists");
        }
        herder.wakeup();
        return Response.created(location(name))
                .entity(info(store.connector(name).orElseThrow()))
                .build();
    }

    @GET
    @Path("/{name}")
    public ConnectorInfo get(@PathParam("name") String name) {
        return info(row(name));
    }

    @GET
    @Path("/{name}/config")
    public Map<String, String> config(@PathParam("name") String name) {
        return row(name).config();
    }

    @PUT
    @Path("/{name}/config")
    @Consumes(MediaType.WILDCARD)
    public Response putConfig(@PathParam("name") String name, String body) {
        checkName(name);
        Map<String, String> config = RestBodies.config(RestBodies.parse(body), "Connector config");
        if (config.containsKey(ConnectorConfigs.NAME)
                && !config.get(ConnectorConfigs.NAME).equals(name)) {
            throw ConnectRestException.badRequest("Connector name configuration (" + config.get(ConnectorConfigs.NAME)
                    + ") doesn't match connector name in the URL (" + name + ")");
        }
        config.put(ConnectorConfigs.NAME, name);
        validate(config);
        boolean created = false;
        if (!store.updateConfig(name, config)) {
            created = store.createConnector(name, config, TargetState.STARTED);
            if (!created) {
                store.updateConfig(name, config);
            }
        }
        herder.wakeup();
        ConnectorInfo info = info(row(name));
        return created
                ? Response.created(location(name)).entity(info).build()
                : Response.ok(info).build();
    }

    @GET
    @Path("/{name}/status")
    public ConnectorStateInfo status(@PathParam("name") String name) {
        return status(row(name));
    }

    @GET
    @Path("/{name}/tasks")
    public List<TaskInfo> tasks(@PathParam("name") String name) {
        row(name);
        return store.tasks(name).stream()
                .map(t -> new TaskInfo(new TaskIdInfo(name, t.task()), t.config()))
                .toList();
    }

    @GET
    @Path("/{name}/tasks/{task}/status")
    public TaskStateInfo taskStatus(@PathParam("name") String name, @PathParam("task") String task) {
        ConnectorStateInfo status = status(row(name));
        int id = taskId(name, task);
        return status.tasks().stream()
                .filter(t -> t.id() == id)
                .findFirst()
                .orElseThrow(() -> new ConnectRestException(404, "Task " + name + "-" + task + " not found"));
    }

    @POST
    @Path("/{name}/tasks/{task}/restart")
    public Response restartTask(@PathParam("name") String name, @PathParam("task") String task) {
        row(name);
        int id = taskId(name, task);
        if (!store.requestTaskRestart(name, id)) {
            throw new ConnectRestException(404, "Task " + name + "-" + task + " not found");
        }
        herder.wakeup();
        return Response.noContent().build();
    }

    @POST
    @Path("/{name}/restart")
    public Response restart(
            @PathParam("name") String name,
            @QueryParam("includeTasks") boolean includeTasks,
            @QueryParam("onlyFailed") boolean onlyFailed) {
        ConnectorRow row = row(name);
        ConnectorStateInfo before = status(row);
        if (!includeTasks && !onlyFailed) {
            store.requestRestart(name);
            herder.wakeup();
            return Response.noContent().build();
        }
        boolean connector =
                !onlyFailed || TaskState.FAILED.name().equals(before.connector().state());
        List<Integer> taskIds = new ArrayList<>();
        if (includeTasks) {
            for (TaskStateInfo task : before.tasks()) {
                if (!onlyFailed || TaskState.FAILED.name().equals(task.state())) {
                    taskIds.add(task.id());
                }
            }
        }
        String worker = herder.workerId().orElse("");
        if (connector) {
            store.putStatus(name, -1, TaskState.RESTARTING.name(), worker, null);
            store.requestRestart(name);
        }
        for (int task : taskIds) {
            store.putStatus(name, task, TaskState.RESTARTING.name(), worker, null);
            store.requestTaskRestart(name, task);
        }
        herder.wakeup();
        // the plan, as Kafka Connect answers: not read back, as the herder may already have moved on
        StateInfo restarting = new StateInfo(TaskState.RESTARTING.name(), worker, null);
        List<TaskStateInfo> tasks = before.tasks().stream()
                .map(t -> taskIds.contains(t.id())
                        ? new TaskStateInfo(t.id(), TaskState.RESTARTING.name(), worker, null)
                        : t)
                .toList();
        return Response.accepted(
                        new ConnectorStateInfo(name, connector ? restarting : before.connector(), tasks, before.type()))
                .build();
    }

    @PUT
    @Path("/{name}/pause")
    public Response pause(@PathParam("name") String name) {
        return target(name, TargetState.PAUSED);
    }

    @PUT
    @Path("/{name}/resume")
    public Response resume(@PathParam("name") String name) {
        return target(name, TargetState.STARTED);
    }

    @PUT
    @Path("/{name}/stop")
    public Response stop(@PathParam("name") String name) {
        return target(name, TargetState.STOPPED);
    }

    private Response target(String name, TargetState state) {
        if (!store.setTargetState(name, state)) {
            throw ConnectRestException.notFound(name);
        }
        herder.wakeup();
        return Response.accepted().build();
    }

    @DELETE
    @Path("/{name}")
    public Response delete(@PathParam("name") String name) {
        if (!store.deleteConnector(name)) {
            throw ConnectRestException.notFound(name);
        }
        herder.wakeup();
        return Response.noContent().build();
    }

    @GET
    @Path("/{name}/offsets")
    public ConnectorOffsets.Offsets getOffsets(@PathParam("name") String name) {
        ConnectorRow row = row(name);
        return offsets.get(row, type(row));
    }

    @PATCH
    @Path("/{name}/offsets")
    @Consumes(MediaType.WILDCARD)
    public Message alterOffsets(@PathParam("name") String name, String body) {
        ConnectorRow row = stoppedRow(name);
        offsets.alter(row, type(row), RestBodies.parse(body));
        return new Message("The offsets for this connector have been altered successfully");
    }

    @DELETE
    @Path("/{name}/offsets")
    public Message resetOffsets(@PathParam("name") String name) {
        ConnectorRow row = stoppedRow(name);
        offsets.reset(row, type(row));
        return new Message("The offsets for this connector have been reset successfully");
    }

    // ----

    private ConnectorRow stoppedRow(String name) {
        ConnectorRow row = row(name);
        if (row.targetState() != TargetState.STOPPED) {
            throw ConnectRestException.badRequest("Connectors must be in the STOPPED state before their offsets can be"
                    + " modified. This can be done for the specified connector by issuing a 'PUT' request to the"
                    + " '/connectors/" + name + "/stop' endpoint");
        }
        StatusRow status = store.statuses(name).get(-1);
        if (status == null || !TaskState.STOPPED.name().equals(status.state())) {
            throw new ConnectRestException(
                    409,
                    "Connector " + name + " is still stopping its tasks; its offsets can"
                            + " be modified once GET /connectors/" + name + "/status reports STOPPED");
        }
        return row;
    }

    private ConnectorRow row(String name) {
        return store.connector(name).orElseThrow(() -> ConnectRestException.notFound(name));
    }

    private void validate(Map<String, String> config) {
        if (!config.containsKey(ConnectorConfigs.CONNECTOR_CLASS)) {
            throw ConnectRestException.badRequest("Connector config " + config + " contains no connector type");
        }
        ConfigInfos result = validator.validate(config);
        if (result.errorCount() > 0) {
            List<String> messages = result.errorMessages();
            throw ConnectRestException.badRequest("Connector configuration is invalid and contains the following "
                    + messages.size() + " error(s):\n" + String.join("\n", messages)
                    + "\nYou can also find the above list of errors at the endpoint"
                    + " `/connector-plugins/{connectorType}/config/validate`");
        }
    }

    private static void checkName(String name) {
        if (name == null || name.isBlank()) {
            throw ConnectRestException.badRequest("Connector name is required and may not be empty");
        }
        // control characters first: trim() strips them too, and they are not whitespace
        for (int i = 0; i < name.length(); i++) {
            if (Character.isISOControl(name.charAt(i))) {
                throw ConnectRestException.badRequest("Connector name may not contain ISO control characters");
            }
        }
        if (!name.equals(name.trim())) {
            throw ConnectRestException.badRequest("Connector name '" + name + "' may not start or end with whitespace");
        }
        if (name.contains("/")) {
            throw ConnectRestException.badRequest("Connector name '" + name + "' may not contain '/'");
        }
    }

    private static TargetState initialState(JsonNode node) {
        if (node == null || node.isNull()) {
            return TargetState.STARTED;
        }
        return switch (node.asText()) {
            case "RUNNING" -> TargetState.STARTED;
            case "PAUSED" -> TargetState.PAUSED;
            case "STOPPED" -> TargetState.STOPPED;
            default ->
                throw ConnectRestException.badRequest(
                        "initial_state must be RUNNING, PAUSED or STOPPED, not '" + node.asText() + "'");
        };
    }

    /** {@code /connectors/<name>}, the name encoded as a path segment (it may hold spaces, '%', '?'). */
    private static URI location(String name) {
        return UriBuilder.fromPath("/connectors/{name}").build(name);
    }

    private static int taskId(String name, String task) {
        try {
            return Integer.parseInt(task);
        } catch (NumberFormatException e) {
            throw new ConnectRestException(404, "Task " + name + "-" + task + " not found");
        }
    }

    private String type(ConnectorRow row) {
        Optional<PluginDesc> plugin = Optional.ofNullable(row.config().get(ConnectorConfigs.CONNECTOR_CLASS))
                .flatMap(plugins::connector);
        return plugin.map(p -> p.type() == PluginType.SINK ? "sink" : "source").orElse("unknown");
    }

    private ConnectorInfo info(ConnectorRow row) {
        List<TaskIdInfo> tasks = store.tasks(row.name()).stream()
                .map(t -> new TaskIdInfo(row.name(), t.task()))
                .toList();
        return new ConnectorInfo(row.name(), row.config(), tasks, type(row));
    }

    private ConnectorStateInfo status(ConnectorRow row) {
        Map<Integer, StatusRow> statuses = store.statuses(row.name());
        StatusRow connector = statuses.get(-1);
        StateInfo connectorState = connector == null
                ? new StateInfo(TaskState.UNASSIGNED.name(), herder.workerId().orElse(null), null)
                : new StateInfo(connector.state(), connector.workerId(), connector.trace());
        List<TaskStateInfo> tasks = new ArrayList<>();
        if (row.targetState() != TargetState.STOPPED) {
            for (TaskRow task : store.tasks(row.name())) {
                StatusRow status = statuses.get(task.task());
                tasks.add(
                        status == null
                                ? new TaskStateInfo(task.task(), TaskState.UNASSIGNED.name(), null, null)
                                : new TaskStateInfo(task.task(), status.state(), status.workerId(), status.trace()));
            }
        }
        return new ConnectorStateInfo(row.name(), connectorState, tasks, type(row));
    }
}
