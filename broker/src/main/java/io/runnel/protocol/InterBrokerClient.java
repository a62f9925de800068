package io.runnel.protocol;

import io.runnel.config.Endpoint;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import org.apache.kafka.common.message.RequestHeaderData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.ObjectSerializationCache;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.ResponseHeader;

/**
 * A blocking Kafka protocol connection from this broker to another, for the one thread that uses it
 * (a replica fetcher, as Kafka's fetcher threads each own their connection). Requests go out one at
 * a time; the response is parsed with kafka-clients' generated classes. Any failure closes the
 * connection, and the caller connects again after a back-off.
 */
public final class InterBrokerClient implements AutoCloseable {

    private static final int MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

    private final Endpoint target;
    private final String clientId;
    private final int timeoutMs;
    private Socket socket;
    private DataInputStream in;
    private DataOutputStream out;
    private int correlationId;

    public InterBrokerClient(Endpoint target, String clientId, int timeoutMs) {
        this.target = target;
        this.clientId = clientId;
        this.timeoutMs = timeoutMs;
    }

    public Endpoint target() {
        return target;
    }

    /** Sends a request in {@code version} and waits for its response body. */
    public ApiMessage send(ApiMessage request, short version) throws IOException {
        connectIfNeeded();
        ApiKeys apiKey = ApiKeys.forId(request.apiKey());
        int id = ++correlationId;
        RequestHeaderData header = new RequestHeaderData()
                .setRequestApiKey(apiKey.id)
                .setRequestApiVersion(version)
                .setClientId(clientId)
                .setCorrelationId(id);
        short headerVersion = apiKey.requestHeaderVersion(version);
        ObjectSerializationCache cache = new ObjectSerializationCache();
        int size = header.size(cache, headerVersion) + request.size(cache, version);
        ByteBuffer frame = ByteBuffer.allocate(size);
        ByteBufferAccessor writable = new ByteBufferAccessor(frame);
        header.write(writable, cache, headerVersion);
        request.write(writable, cache, version);
        try {
            out.writeInt(size);
            out.write(frame.array());
            out.flush();
            int responseSize = in.readInt();
            if (responseSize < 0 || responseSize > MAX_RESPONSE_BYTES) {
                throw new IOException("Response of " + responseSize + " bytes from " + target);
            }
            byte[] bytes = new byte[responseSize];
            in.readFully(bytes);
            ByteBuffer response = ByteBuffer.wrap(bytes);
            ResponseHeader responseHeader = ResponseHeader.parse(response, apiKey.responseHeaderVersion(version));
            if (responseHeader.correlationId() != id) {
                throw new IOException(
                        "Correlation id " + responseHeader.correlationId() + " from " + target + ", expected " + id);
            }
            return AbstractResponse.parseResponse(apiKey, new ByteBufferAccessor(response), version)
                    .data();
        } catch (IOException | RuntimeException e) {
            close();
            throw e instanceof IOException io ? io : new IOException("Bad response from " + target, e);
        }
    }

    private void connectIfNeeded() throws IOException {
        if (socket != null) {
            return;
        }
        Socket connecting = new Socket();
        try {
            connecting.setTcpNoDelay(true);
            connecting.connect(new InetSocketAddress(target.host(), target.port()), timeoutMs);
            connecting.setSoTimeout(timeoutMs);
            in = new DataInputStream(connecting.getInputStream());
            out = new DataOutputStream(new BufferedOutputStream(connecting.getOutputStream()));
            socket = connecting;
        } catch (IOException e) {
            connecting.close();
            throw e;
        }
    }

    @Override
    public void close() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing anyway
            }
            socket = null;
        }
    }
}
