package io.runnel.connect.rest;

import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import org.jboss.logging.Logger;

/**
 * Everything else a REST call can end in, answered as Kafka Connect answers it: an unknown path or
 * method keeps its status (404, 405, 415, ...), anything unexpected is a 500 whose message says
 * what failed; both with the {@code {"error_code", "message"}} body.
 */
@Provider
public class UnexpectedExceptionMapper implements ExceptionMapper<Exception> {

    private static final Logger LOG = Logger.getLogger(UnexpectedExceptionMapper.class);

    @Override
    public Response toResponse(Exception e) {
        int status;
        String message;
        if (e instanceof WebApplicationException web) {
            status = web.getResponse().getStatus();
            Response.StatusType reason = Response.Status.fromStatusCode(status);
            message = "HTTP " + status + (reason == null ? "" : " " + reason.getReasonPhrase()); // as Kafka Connect
        } else {
            status = 500;
            message = e.toString();
            LOG.errorf(e, "REST call failed unexpectedly");
        }
        return Response.status(status)
                .type(MediaType.APPLICATION_JSON)
                .entity(new ConnectRestExceptionMapper.ErrorMessage(status, message))
                .build();
    }
}
