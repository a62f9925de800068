package io.runnel.group;

import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.Set;
import org.apache.kafka.clients.consumer.internals.ConsumerProtocol;

/**
 * Reads the topics a consumer group subscribes to from its members' subscription metadata. Only
 * OffsetDelete needs this; for protocol types other than "consumer" the metadata stays opaque and
 * no topic counts as subscribed.
 */
final class Subscriptions {

    private Subscriptions() {}

    static Set<String> topicsOf(ClassicGroup group) {
        Set<String> topics = new HashSet<>();
        if (!ConsumerProtocol.PROTOCOL_TYPE.equals(group.protocolType) || group.protocolName == null) {
            return topics;
        }
        for (GroupMember member : group.members.values()) {
            byte[] metadata = member.metadata(group.protocolName);
            if (metadata == null) {
                continue;
            }
            try {
                topics.addAll(ConsumerProtocol.deserializeSubscription(ByteBuffer.wrap(metadata))
                        .topics());
            } catch (RuntimeException e) {
                // metadata a consumer client would not write: nothing is known about its topics
            }
        }
        return topics;
    }
}
