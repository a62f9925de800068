package io.runnel.connect.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Request bodies read by hand, so a malformed one gets a 400 that says what is wrong rather than a
 * framework's generic answer.
 */
final class RestBodies {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private RestBodies() {}

    static JsonNode parse(String body) {
        if (body == null || body.isBlank()) {
            throw ConnectRestException.badRequest("Request body is empty; a JSON object is expected");
        }
        try {
            JsonNode node = MAPPER.readTree(body);
            if (node == null || !node.isObject()) {
                throw ConnectRestException.badRequest("Request body must be a JSON object");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw ConnectRestException.badRequest("Request body is not valid JSON: " + e.getOriginalMessage()
                    + (e.getLocation() == null
                            ? ""
                            : " (line " + e.getLocation().getLineNr() + ", column "
                                    + e.getLocation().getColumnNr() + ")"));
        }
    }

    /** A config object: every value a string (numbers and booleans are taken as their text). */
    static Map<String, String> config(JsonNode node, String what) {
        if (node == null || node.isNull()) {
            throw ConnectRestException.badRequest(what + " is missing");
        }
        if (!node.isObject()) {
            throw ConnectRestException.badRequest(what + " must be a JSON object of strings");
        }
        Map<String, String> config = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            JsonNode value = field.getValue();
            if (value.isNull()) {
                config.put(field.getKey(), null);
            } else if (value.isValueNode()) {
                config.put(field.getKey(), value.asText());
            } else {
                throw ConnectRestException.badRequest(
                        what + ": the value of '" + field.getKey() + "' must be a string, not " + value.getNodeType());
            }
        }
        config.values().removeIf(java.util.Objects::isNull);
        return config;
    }

    static Object toJava(JsonNode node) {
        return MAPPER.convertValue(node, Object.class);
    }
}
