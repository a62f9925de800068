package io.runnel.connect.rest;

import com.fasterxml.jackson.annotation.JsonProperty;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;

/** Answers {@link ConnectRestException} with its status and Kafka Connect's error body. */
@Provider
public class ConnectRestExceptionMapper implements ExceptionMapper<ConnectRestException> {

    public record ErrorMessage(@JsonProperty("error_code") int errorCode, String message) {}

    @Override
    public Response toResponse(ConnectRestException e) {
        return Response.status(e.status())
                .type(MediaType.APPLICATION_JSON)
                .entity(new ErrorMessage(e.status(), e.getMessage()))
                .build();
    }
}
