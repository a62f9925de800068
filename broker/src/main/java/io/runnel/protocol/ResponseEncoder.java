package io.runnel.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.ResponseHeaderData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ObjectSerializationCache;
import org.apache.kafka.common.protocol.Writable;
import org.apache.kafka.common.record.BaseRecords;
import org.apache.kafka.common.record.FileRecords;
import org.apache.kafka.common.record.MemoryRecords;

/**
 * Writes a response frame: size, response header (in the API's header version), body. Record sets
 * that live in segment files (fetch responses) are not copied into the frame: they become
 * {@link FileRecordsRegion}s between the encoded bytes, sent with zero copy.
 */
final class ResponseEncoder {

    private ResponseEncoder() {}

    /** The parts of one response frame, to be written in order: {@link ByteBuf}s and file regions. */
    record ResponseFrame(List<Object> parts) {}

    static ResponseFrame encode(int correlationId, ApiKeys apiKey, short version, ApiMessage body) {
        ResponseHeaderData header = new ResponseHeaderData().setCorrelationId(correlationId);
        short headerVersion = apiKey.responseHeaderVersion(version);
        ObjectSerializationCache cache = new ObjectSerializationCache();
        int size = header.size(cache, headerVersion) + body.size(cache, version);
        FrameWriter writer = new FrameWriter(size);
        writer.writeInt(size);
        header.write(writer, cache, headerVersion);
        body.write(writer, cache, version);
        return writer.finish();
    }

    /** A {@link Writable} into heap bytes that sets file-backed record sets aside as file regions. */
    private static final class FrameWriter implements Writable {

        private final List<Object> parts = new ArrayList<>(1);
        private ByteBuf bytes;

        FrameWriter(int size) {
            bytes = Unpooled.buffer(Math.min(4 + size, 64 * 1024));
        }

        ResponseFrame finish() {
            if (bytes.isReadable()) {
                parts.add(bytes);
            } else {
                bytes.release();
            }
            return new ResponseFrame(parts);
        }

        @Override
        public void writeRecords(BaseRecords records) {
            if (records instanceof MemoryRecords memory) {
                writeByteBuffer(memory.buffer());
            } else if (records instanceof FileRecords file) {
                if (file.sizeInBytes() == 0) {
                    return;
                }
                parts.add(bytes);
                parts.add(new FileRecordsRegion(file));
                bytes = Unpooled.buffer(256);
            } else {
                throw new IllegalArgumentException("Cannot send records of type " + records.getClass());
            }
        }

        @Override
        public void writeByte(byte value) {
            bytes.writeByte(value);
        }

        @Override
        public void writeShort(short value) {
            bytes.writeShort(value);
        }

        @Override
        public void writeInt(int value) {
            bytes.writeInt(value);
        }

        @Override
        public void writeLong(long value) {
            bytes.writeLong(value);
        }

        @Override
        public void writeDouble(double value) {
            bytes.writeDouble(value);
        }

        @Override
        public void writeByteArray(byte[] array) {
            bytes.writeBytes(array);
        }

        @Override
        public void writeUnsignedVarint(int value) {
            while ((value & 0xffffff80) != 0) {
                bytes.writeByte((value & 0x7f) | 0x80);
                value >>>= 7;
            }
            bytes.writeByte(value);
        }

        @Override
        public void writeByteBuffer(ByteBuffer buffer) {
            bytes.writeBytes(buffer.duplicate());
        }

        @Override
        public void writeVarint(int value) {
            writeUnsignedVarint((value << 1) ^ (value >> 31));
        }

        @Override
        public void writeVarlong(long value) {
            long v = (value << 1) ^ (value >> 63);
            while ((v & 0xffffffffffffff80L) != 0L) {
                bytes.writeByte(((int) v & 0x7f) | 0x80);
                v >>>= 7;
            }
            bytes.writeByte((int) v);
        }

        @Override
        public void writeUuid(Uuid uuid) {
            bytes.writeLong(uuid.getMostSignificantBits());
            bytes.writeLong(uuid.getLeastSignificantBits());
        }
    }
}
