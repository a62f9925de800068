package io.runnel.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;

/**
 * Splits a connection's byte stream into Kafka request frames: a 4-byte big-endian size, then that
 * many bytes. Holds only the bytes received so far (never allocates a frame's declared size up
 * front), and refuses sizes outside {@code [0, maxFrameBytes]}.
 *
 * <p>A frame may share memory with the buffer it came in: callers feed buffers they own and never
 * reuse (Vert.x hands each read over as a fresh heap buffer).
 *
 * <p>Not thread-safe: owned by one connection's event loop.
 */
final class FrameDecoder {

    interface Sink {
        /** A whole frame, without its size prefix; the buffer belongs to the sink. */
        void onFrame(ByteBuffer frame);

        /** A frame declared an impossible size; no more frames follow. */
        void onInvalidSize(int size);

        /** False to stop handing out frames until {@link FrameDecoder#resume()}. */
        boolean acceptingFrames();
    }

    private final int maxFrameBytes;
    private final Sink sink;
    private final ByteBuf pending = Unpooled.buffer(0);
    private boolean failed;
    private boolean draining;

    FrameDecoder(int maxFrameBytes, Sink sink) {
        this.maxFrameBytes = maxFrameBytes;
        this.sink = sink;
    }

    /**
     * Takes the bytes of one read. Frames wholly inside a heap buffer that nothing else is pending
     * before are handed out as slices of it, without a copy (Vert.x hands each read over as a heap
     * buffer of its own); a frame spread over several reads is gathered in a buffer of ours first.
     */
    void feed(ByteBuf bytes) {
        if (failed) {
            return;
        }
        if (pending.isReadable() || draining || !bytes.hasArray()) {
            pending.writeBytes(bytes);
            drain();
            return;
        }
        draining = true;
        try {
            handOutFrames(bytes, true);
        } finally {
            draining = false;
        }
        if (!failed && bytes.isReadable()) {
            pending.writeBytes(bytes);
        }
    }

    /**
     * Hands out every whole frame in {@code from} while the sink accepts them: as slices of it when
     * {@code slice} (the buffer is a read of our own), else as copies (our reused pending buffer).
     */
    private void handOutFrames(ByteBuf from, boolean slice) {
        while (!failed && sink.acceptingFrames() && from.readableBytes() >= 4) {
            int size = from.getInt(from.readerIndex());
            if (size < 0 || size > maxFrameBytes) {
                fail(size);
                return;
            }
            if (from.readableBytes() - 4 < size) {
                return;
            }
            from.skipBytes(4);
            ByteBuffer frame;
            if (slice) {
                frame = from.nioBuffer(from.readerIndex(), size);
                from.skipBytes(size);
            } else {
                frame = ByteBuffer.allocate(size);
                from.readBytes(frame);
                frame.flip();
            }
            sink.onFrame(frame);
        }
    }

    private void fail(int size) {
        failed = true;
        pending.clear();
        pending.capacity(0);
        sink.onInvalidSize(size);
    }

    /** Hands out frames held back while the sink was not accepting. */
    void resume() {
        drain();
    }

    /** Bytes received and not yet handed out as frames. */
    int pendingBytes() {
        return pending.readableBytes();
    }

    private void drain() {
        if (draining) {
            return; // a sink callback asked to resume; the loop below is still running
        }
        draining = true;
        try {
            drainFrames();
        } finally {
            draining = false;
        }
    }

    private void drainFrames() {
        handOutFrames(pending, false);
        if (pending.readableBytes() == 0) {
            pending.clear();
            if (pending.capacity() > 64 * 1024) {
                pending.capacity(0); // give back what one large request needed
            }
        } else {
            pending.discardSomeReadBytes();
        }
    }
}
