package io.runnel.protocol;

import io.netty.channel.FileRegion;
import io.netty.util.AbstractReferenceCounted;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import org.apache.kafka.common.network.TransferableChannel;
import org.apache.kafka.common.record.FileRecords;

/**
 * A slice of a segment file written to a socket with zero copy: Netty hands the socket channel to
 * {@link #transferTo}, which lets the file channel transfer straight to it ({@code sendfile(2)} on
 * Linux). The file belongs to its segment, so releasing the region closes nothing.
 */
final class FileRecordsRegion extends AbstractReferenceCounted implements FileRegion {

    private final FileRecords records;
    private final int count;
    private long transferred;

    FileRecordsRegion(FileRecords records) {
        this.records = records;
        this.count = records.sizeInBytes();
    }

    @Override
    public long position() {
        return 0;
    }

    @Override
    public long transfered() {
        return transferred;
    }

    @Override
    public long transferred() {
        return transferred;
    }

    @Override
    public long count() {
        return count;
    }

    @Override
    public long transferTo(WritableByteChannel target, long position) throws IOException {
        long remaining = count - position;
        if (remaining <= 0) {
            return 0;
        }
        long written = records.writeTo(new Target(target), (int) position, (int) remaining);
        transferred += written;
        return written;
    }

    @Override
    public FileRegion retain() {
        super.retain();
        return this;
    }

    @Override
    public FileRegion retain(int increment) {
        super.retain(increment);
        return this;
    }

    @Override
    public FileRegion touch() {
        return this;
    }

    @Override
    public FileRegion touch(Object hint) {
        return this;
    }

    @Override
    protected void deallocate() {
        // the segment owns the file channel
    }

    /** Netty's socket channel, as the channel Kafka's {@code FileRecords.writeTo} transfers into. */
    private record Target(WritableByteChannel socket) implements TransferableChannel {

        @Override
        public boolean hasPendingWrites() {
            return false;
        }

        @Override
        public long transferFrom(FileChannel fileChannel, long position, long count) throws IOException {
            return fileChannel.transferTo(position, count, socket);
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            long total = 0;
            for (int i = offset; i < offset + length; i++) {
                total += socket.write(srcs[i]);
            }
            return total;
        }

        @Override
        public long write(ByteBuffer[] srcs) throws IOException {
            return write(srcs, 0, srcs.length);
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            return socket.write(src);
        }

        @Override
        public boolean isOpen() {
            return socket.isOpen();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
