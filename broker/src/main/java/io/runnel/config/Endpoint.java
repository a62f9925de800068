package io.runnel.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A named listener address, written {@code NAME://host:port} as in Kafka's {@code listeners}. */
public record Endpoint(String listenerName, String host, int port) {

    private static final Pattern FORMAT = Pattern.compile("^([A-Za-z0-9_]+)://(\\[[^\\]]*\\]|[^:/]*):(\\d+)$");

    public Endpoint {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("Port out of range in listener " + listenerName + ": " + port);
        }
    }

    public static Endpoint parse(String text) {
        Matcher m = FORMAT.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException(
                    "Listener '" + text + "' is not of the form NAME://host:port, e.g. PLAINTEXT://0.0.0.0:9092");
        }
        String host = m.group(2);
        if (host.startsWith("[")) {
            host = host.substring(1, host.length() - 1);
        }
        return new Endpoint(m.group(1).toUpperCase(Locale.ROOT), host, Integer.parseInt(m.group(3)));
    }

    public static List<Endpoint> parseAll(List<String> texts) {
        List<Endpoint> endpoints = new ArrayList<>();
        for (String text : texts) {
            if (!text.isBlank()) {
                Endpoint endpoint = parse(text);
                if (endpoints.stream().anyMatch(e -> e.listenerName.equals(endpoint.listenerName))) {
                    throw new IllegalArgumentException("Listener name " + endpoint.listenerName + " is used twice");
                }
                endpoints.add(endpoint);
            }
        }
        return endpoints;
    }

    /** Whether this endpoint binds every interface (and so names no host a client could reach). */
    public boolean isWildcard() {
        if (host.isEmpty() || host.equals("0.0.0.0")) {
            return true;
        }
        if (host.indexOf(':') < 0) {
            return false; // a host name: never resolve it here
        }
        try {
            return InetAddress.getByName(host).isAnyLocalAddress(); // IPv6 literal, any spelling of ::
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** This endpoint as clients should see it: a wildcard bind is advertised with the machine's name. */
    public Endpoint advertisable() {
        if (!isWildcard()) {
            return this;
        }
        try {
            return new Endpoint(listenerName, InetAddress.getLocalHost().getCanonicalHostName(), port);
        } catch (UnknownHostException e) {
            return new Endpoint(listenerName, "localhost", port);
        }
    }

    @Override
    public String toString() {
        return listenerName + "://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
