package io.runnel.testing;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
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
 * A bare Kafka protocol client over one socket, for tests that must send exactly the bytes they
 * choose: a given API version, or frames no real client would send.
 */
public final class RawKafkaClient implements AutoCloseable {

    private final Socket socket;
    private final DataInputStream in;
    private final DataOutputStream out;
    private int correlationId;

    public RawKafkaClient(int port) {
        try {
            socket = new Socket();
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            socket.setSoTimeout(30_000);
            in = new DataInputStream(socket.getInputStream());
            out = new DataOutputStream(socket.getOutputStream());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sends a request in {@code version} and returns the parsed response body. */
    public ApiMessage send(ApiMessage request, short version) {
        ApiKeys apiKey = ApiKeys.forId(request.apiKey());
        int id = ++correlationId;
        RequestHeaderData header = new RequestHeaderData()
                .setRequestApiKey(apiKey.id)
                .setRequestApiVersion(version)
                .setClientId("raw-test-client")
                .setCorrelationId(id);
        short headerVersion = apiKey.requestHeaderVersion(version);
        ObjectSerializationCache cache = new ObjectSerializationCache();
        int size = header.size(cache, headerVersion) + request.size(cache, version);
        ByteBuffer buffer = ByteBuffer.allocate(size);
        ByteBufferAccessor writable = new ByteBufferAccessor(buffer);
        header.write(writable, cache, headerVersion);
        request.write(writable, cache, version);
        sendFrame(buffer.array());
        ByteBuffer response = ByteBuffer.wrap(receiveFrame());
        ResponseHeader responseHeader = ResponseHeader.parse(response, apiKey.responseHeaderVersion(version));
        if (responseHeader.correlationId() != id) {
            throw new IllegalStateException("Correlation id " + responseHeader.correlationId() + ", expected " + id);
        }
        return AbstractResponse.parseResponse(apiKey, new ByteBufferAccessor(response), version)
                .data();
    }

    /** Writes a size prefix and the bytes as one frame. */
    public void sendFrame(byte[] frame) {
        try {
            out.writeInt(frame.length);
            out.write(frame);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes raw bytes, no framing. */
    public void sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    public byte[] receiveFrame() {
        try {
            int size = in.readInt();
            byte[] frame = new byte[size];
            in.readFully(frame);
            return frame;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** True once the broker has closed the connection (read returns end of stream). */
    public boolean closedByBroker() {
        try {
            return in.read() == -1;
        } catch (IOException e) {
            return true;
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // closed already
        }
    }
}
