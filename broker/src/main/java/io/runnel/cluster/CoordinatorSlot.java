package io.runnel.cluster;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * One of the {@value #COUNT} group coordinator slots, Kafka's {@code __consumer_offsets} partitions
 * (K15): a group belongs to {@link #slotOf slotOf(groupId)}, and the slot's coordinator serves it.
 * The coordinator epoch grows with every move, fencing writes of the previous coordinator.
 *
 * @param coordinator node id of the coordinator, {@link #NO_COORDINATOR} when none is placed yet
 */
public record CoordinatorSlot(int slot, int coordinator, int coordinatorEpoch) {

    /** Kafka's default {@code offsets.topic.num.partitions}. */
    public static final int COUNT = 50;

    public static final int NO_COORDINATOR = -1;

    /**
     * The slot of a group: the first 4 bytes of MD5 over its UTF-8 id as a big-endian int, floor-mod
     * {@value #COUNT}. PostgreSQL's {@code group_slot(text)} (V5) computes the same.
     */
    public static int slotOf(String groupId) {
        try {
            byte[] digest = MessageDigest.getInstance("MD5").digest(groupId.getBytes(StandardCharsets.UTF_8));
            return Math.floorMod(ByteBuffer.wrap(digest).getInt(), COUNT);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every Java runtime has MD5", e);
        }
    }
}
