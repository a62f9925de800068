package io.runnel.protocol;

import io.netty.util.ReferenceCountUtil;
import io.runnel.api.ApiVersionsHandler;
import io.runnel.api.RequestContext;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.impl.NetSocketInternal;
import java.nio.ByteBuffer;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.RequestHeader;
import org.jboss.logging.Logger;

/**
 * One client connection: frames in, requests decoded and dispatched, responses out in request order.
 *
 * <p>All state is accessed only from the connection's event loop; handler results that complete on
 * other threads are brought back to it before they touch anything here.
 *
 * <p>A frame that cannot be a valid request (bad size, unknown API key, unsupported version, a header
 * or body that does not parse) closes the connection with one log line, as Kafka does; other
 * connections never notice. ApiVersions in a too-new version is the exception the protocol defines:
 * it is answered in v0 with UNSUPPORTED_VERSION.
 */
final class KafkaConnection implements FrameDecoder.Sink {

    private static final Logger LOG = Logger.getLogger(KafkaConnection.class);

    private final NetSocket socket;
    private final Context context;
    private final RequestDispatcher dispatcher;
    private final ApiVersionsHandler apiVersions;
    private final String listenerName;
    private final String connectionId;
    private final int maxInFlight;
    private final FrameDecoder decoder;
    private final ResponseOrderer<ResponseEncoder.ResponseFrame> orderer;
    private boolean closed;
    private boolean readPaused;

    KafkaConnection(
            NetSocket socket,
            Context context,
            RequestDispatcher dispatcher,
            ApiVersionsHandler apiVersions,
            String listenerName,
            int maxFrameBytes,
            int maxInFlight) {
        this.socket = socket;
        this.context = context;
        this.dispatcher = dispatcher;
        this.apiVersions = apiVersions;
        this.listenerName = listenerName;
        this.connectionId = socket.localAddress() + "-" + socket.remoteAddress();
        this.maxInFlight = maxInFlight;
        this.decoder = new FrameDecoder(maxFrameBytes, this);
        this.orderer = new ResponseOrderer<>(this::write);
    }

    void start() {
        socket.handler(this::onBytes);
        socket.closeHandler(v -> closed = true);
        socket.exceptionHandler(e -> close("socket error: " + e.getMessage()));
        socket.drainHandler(v -> maybeResumeReading());
    }

    private void onBytes(Buffer bytes) {
        decoder.feed(bytes.getByteBuf());
        maybeResumeReading();
    }

    @Override
    public boolean acceptingFrames() {
        return !closed && orderer.inFlight() < maxInFlight && !socket.writeQueueFull();
    }

    @Override
    public void onInvalidSize(int size) {
        close("invalid request size " + size);
    }

    @Override
    public void onFrame(ByteBuffer frame) {
        RequestHeader header;
        AbstractRequest request;
        try {
            if (frame.remaining() < 4) {
                close("request of " + frame.remaining() + " bytes is too short for a header");
                return;
            }
            short apiKeyId = frame.getShort(0);
            short version = frame.getShort(2);
            if (!ApiKeys.hasId(apiKeyId)) {
                close("unknown API key " + apiKeyId);
                return;
            }
            ApiKeys apiKey = ApiKeys.forId(apiKeyId);
            if (!dispatcher.implemented(apiKey)) {
                close("API " + apiKey + " is not supported by this broker");
                return;
            }
            header = RequestHeader.parse(frame);
            if (!dispatcher.supports(apiKey, version)) {
                if (apiKey == ApiKeys.API_VERSIONS) {
                    respondNow(header.correlationId(), apiVersions.unsupportedVersionResponse());
                } else {
                    close("unsupported version " + version + " of " + apiKey);
                }
                return;
            }
            request = AbstractRequest.parseRequest(apiKey, version, new ByteBufferAccessor(frame)).request;
        } catch (RuntimeException e) {
            close("malformed request: " + e);
            return;
        }
        RequestContext requestContext = new RequestContext(
                header.apiKey(),
                header.apiVersion(),
                header.correlationId(),
                header.clientId(),
                listenerName,
                connectionId,
                socket.remoteAddress().hostAddress());
        long sequence = orderer.register();
        dispatcher.dispatch(requestContext, request).whenComplete((response, failure) -> {
            if (context.isEventLoopContext() && io.vertx.core.Vertx.currentContext() == context) {
                respond(sequence, requestContext, response);
            } else {
                context.runOnContext(v -> respond(sequence, requestContext, response));
            }
        });
    }

    private void respond(long sequence, RequestContext request, ApiMessage response) {
        if (closed) {
            return;
        }
        ResponseEncoder.ResponseFrame frame = null;
        if (response != null) {
            try {
                frame = ResponseEncoder.encode(
                        request.correlationId(), request.apiKey(), request.apiVersion(), response);
            } catch (RuntimeException e) {
                LOG.errorf(e, "Could not encode the %s v%d response", request.apiKey(), request.apiVersion());
                close("response could not be encoded");
                return;
            }
        }
        orderer.complete(sequence, frame);
        maybeResumeReading();
    }

    private void respondNow(int correlationId, ApiMessage body) {
        long sequence = orderer.register();
        orderer.complete(sequence, ResponseEncoder.encode(correlationId, ApiKeys.API_VERSIONS, (short) 0, body));
    }

    private void write(ResponseEncoder.ResponseFrame frame) {
        for (Object part : frame.parts()) {
            if (closed) {
                ReferenceCountUtil.release(part);
            } else {
                ((NetSocketInternal) socket).writeMessage(part);
            }
        }
    }

    private void maybeResumeReading() {
        if (acceptingFrames()) {
            if (readPaused) {
                readPaused = false;
                socket.resume();
            }
            decoder.resume();
        } else if (!readPaused && !closed) {
            readPaused = true;
            socket.pause();
        }
    }

    private void close(String reason) {
        if (!closed) {
            closed = true;
            LOG.infof("Closing connection %s on %s: %s", socket.remoteAddress(), listenerName, reason);
            socket.close();
        }
    }
}
