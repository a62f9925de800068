package io.runnel.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnel.testing.BrokerProcess;
import io.runnel.testing.RawKafkaClient;
import io.runnel.testing.SharedBroker;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;

/**
 * Bad input on the wire: each malformed frame gets the protocol's error answer or a closed
 * connection, and the broker keeps serving everyone else with its memory intact.
 */
class MalformedRequestsIT {

    private static final long SEED = 20261123L;

    @Test
    void tooNewApiVersionsIsAnsweredInVersionZero() {
        BrokerProcess broker = SharedBroker.get();
        try (RawKafkaClient client = new RawKafkaClient(broker.kafkaPort())) {
            // ApiVersions v127 request: header v2 (flexible), empty tagged fields body
            ByteBuffer frame = ByteBuffer.allocate(64);
            frame.putShort(ApiKeys.API_VERSIONS.id).putShort((short) 127).putInt(42);
            frame.putShort((short) 4).put("test".getBytes()); // client id
            frame.put((byte) 0); // header tagged fields
            frame.put((byte) 0); // body tagged fields
            byte[] bytes = new byte[frame.position()];
            frame.flip().get(bytes);
            client.sendFrame(bytes);
            ByteBuffer response = ByteBuffer.wrap(client.receiveFrame());
            assertThat(response.getInt()).isEqualTo(42); // response header v0: correlation id only
            ApiVersionsResponseData body = new ApiVersionsResponseData(
                    new org.apache.kafka.common.protocol.ByteBufferAccessor(response), (short) 0);
            assertThat(body.errorCode()).isEqualTo(Errors.UNSUPPORTED_VERSION.code());
            assertThat(body.apiKeys().find(ApiKeys.METADATA.id)).isNotNull();
        }
        try (RawKafkaClient client = new RawKafkaClient(broker.kafkaPort())) {
            ApiVersionsResponseData body = (ApiVersionsResponseData) client.send(
                    new ApiVersionsRequestData()
                            .setClientSoftwareName("runnel-test")
                            .setClientSoftwareVersion("1.0"),
                    (short) 3);
            assertThat(body.errorCode()).isZero();
            assertThat(body.apiKeys().find(ApiKeys.CREATE_TOPICS.id).maxVersion())
                    .isEqualTo(ApiKeys.CREATE_TOPICS.latestVersion());
            // only what is implemented is advertised
            assertThat(body.apiKeys().find(ApiKeys.DESCRIBE_ACLS.id)).isNull();
        }
    }

    @Test
    void unknownApiKeyUnsupportedVersionAndOversizedFramesCloseTheConnection() throws IOException {
        BrokerProcess broker = SharedBroker.get();
        try (RawKafkaClient client = new RawKafkaClient(broker.kafkaPort())) {
            client.sendFrame(header((short) 9999, (short) 0, 1));
            assertThat(client.closedByBroker()).isTrue();
        }
        try (RawKafkaClient client = new RawKafkaClient(broker.kafkaPort())) {
            client.sendFrame(header(ApiKeys.METADATA.id, (short) 99, 1));
            assertThat(client.closedByBroker()).isTrue();
        }
        try (RawKafkaClient client = new RawKafkaClient(broker.kafkaPort())) {
            client.sendRaw(ByteBuffer.allocate(4).putInt(200 * 1024 * 1024).array());
            assertThat(client.closedByBroker()).isTrue();
        }
        try (RawKafkaClient client = new RawKafkaClient(broker.kafkaPort())) {
            client.sendRaw(ByteBuffer.allocate(4).putInt(-5).array());
            assertThat(client.closedByBroker()).isTrue();
        }
        assertThat(broker.log()).contains("unknown API key 9999", "unsupported version 99 of METADATA");
    }

    @Test
    void thousandsOfMalformedFramesLeaveTheBrokerServing() throws Exception {
        BrokerProcess broker = SharedBroker.get();
        try (Admin admin = broker.admin()) {
            admin.createTopics(List.of(new NewTopic("survivor", 3, (short) 1)))
                    .all()
                    .get();
        }
        long heapBefore = broker.usedHeapAfterGc();

        // A well-behaved client stays connected throughout and must keep getting answers.
        try (RawKafkaClient bystander = new RawKafkaClient(broker.kafkaPort())) {
            ExecutorService pool = Executors.newFixedThreadPool(4);
            List<Future<?>> attacks = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                Random random = new Random(SEED + t);
                attacks.add(pool.submit(() -> {
                    for (int i = 0; i < 1000; i++) {
                        sendMalformed(broker.kafkaPort(), random, i);
                    }
                    return null;
                }));
                MetadataResponseData metadata =
                        (MetadataResponseData) bystander.send(new MetadataRequestData().setTopics(null), (short) 12);
                assertThat(metadata.topics().find("survivor")).isNotNull();
            }
            for (Future<?> attack : attacks) {
                attack.get();
            }
            pool.shutdown();
            MetadataResponseData metadata =
                    (MetadataResponseData) bystander.send(new MetadataRequestData().setTopics(null), (short) 12);
            assertThat(metadata.topics().find("survivor").partitions()).hasSize(3);
        }

        assertThat(broker.isAlive()).isTrue();
        try (Admin admin = broker.admin()) {
            assertThat(admin.listTopics().names().get()).contains("survivor");
            admin.createTopics(List.of(new NewTopic("after-fuzz", 1, (short) 1)))
                    .all()
                    .get();
        }
        long heapAfter = broker.usedHeapAfterGc();
        assertThat(heapAfter)
                .as("heap after fuzzing (%d bytes) against before (%d bytes)", heapAfter, heapBefore)
                .isLessThan(heapBefore * 10);
    }

    /** One connection carrying one kind of bad input, chosen by {@code i}. */
    private static void sendMalformed(int port, Random random, int i) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            byte[] payload;
            switch (i % 7) {
                case 0 -> { // random bytes, no framing at all
                    payload = new byte[1 + random.nextInt(2048)];
                    random.nextBytes(payload);
                }
                case 1 -> { // a plausible size, random body
                    byte[] body = new byte[random.nextInt(512)];
                    random.nextBytes(body);
                    payload = frame(body);
                }
                case 2 -> // a size beyond the limit or negative
                    payload = ByteBuffer.allocate(4)
                            .putInt(
                                    random.nextBoolean()
                                            ? Integer.MAX_VALUE - random.nextInt(1000)
                                            : -random.nextInt(1000) - 1)
                            .array();
                case 3 -> { // size promises more than is sent, then the client hangs up
                    byte[] partial = header(ApiKeys.METADATA.id, (short) 12, i);
                    payload = ByteBuffer.allocate(4 + partial.length)
                            .putInt(partial.length + 1000)
                            .put(partial)
                            .array();
                }
                case 4 -> // a real API in a version that does not exist
                    payload = frame(header(ApiKeys.CREATE_TOPICS.id, (short) (100 + random.nextInt(1000)), i));
                case 5 -> { // a valid header, then a truncated or garbled body
                    byte[] head = header(ApiKeys.CREATE_TOPICS.id, (short) 7, i);
                    byte[] junk = new byte[random.nextInt(64)];
                    random.nextBytes(junk);
                    payload = frame(ByteBuffer.allocate(head.length + junk.length)
                            .put(head)
                            .put(junk)
                            .array());
                }
                default -> // an API key nobody defined
                    payload = frame(header((short) (1000 + random.nextInt(30000)), (short) 0, i));
            }
            out.write(payload);
            out.flush();
            // Hang up our side, then wait for the broker to answer or close, so the attack does
            // not outrun it. A frame that promised more bytes is thereby cut short too.
            socket.shutdownOutput();
            try {
                socket.getInputStream().read(new byte[1024]);
            } catch (IOException e) {
                // reset by the broker: that is an answer too
            }
        } catch (IOException e) {
            // the broker may reset the connection while we write
        }
    }

    /** A request header v2 (flexible) with client id "fuzz" and no tagged fields. */
    private static byte[] header(short apiKey, short version, int correlationId) {
        return ByteBuffer.allocate(15)
                .putShort(apiKey)
                .putShort(version)
                .putInt(correlationId)
                .putShort((short) 4)
                .put("fuzz".getBytes())
                .put((byte) 0)
                .array();
    }

    private static byte[] frame(byte[] body) {
        return ByteBuffer.allocate(4 + body.length)
                .putInt(body.length)
                .put(body)
                .array();
    }
}
