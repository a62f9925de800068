package io.runnel.connect.rest;

/** A REST error with Kafka Connect's body: {@code {"error_code": 404, "message": "..."}}. */
public class ConnectRestException extends RuntimeException {

    private final int status;

    public ConnectRestException(int status, String message) {
        super(message);
        this.status = status;
    }

    public int status() {
        return status;
    }

    static ConnectRestException notFound(String name) {
        return new ConnectRestException(404, "Connector " + name + " not found");
    }

    static ConnectRestException badRequest(String message) {
        return new ConnectRestException(400, message);
    }
}
