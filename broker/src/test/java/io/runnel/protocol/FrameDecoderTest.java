package io.runnel.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class FrameDecoderTest {

    /** Records what the decoder hands out; accepts frames until told otherwise. */
    private static class RecordingSink implements FrameDecoder.Sink {
        final List<byte[]> frames = new ArrayList<>();
        final List<Integer> invalidSizes = new ArrayList<>();
        boolean accepting = true;
        /** When positive, stop accepting after this many frames. */
        int acceptOnly = -1;

        @Override
        public void onFrame(ByteBuffer frame) {
            byte[] bytes = new byte[frame.remaining()];
            frame.get(bytes);
            frames.add(bytes);
            if (acceptOnly > 0 && frames.size() >= acceptOnly) {
                accepting = false;
            }
        }

        @Override
        public void onInvalidSize(int size) {
            invalidSizes.add(size);
        }

        @Override
        public boolean acceptingFrames() {
            return accepting;
        }

        List<String> frameStrings() {
            return frames.stream()
                    .map(b -> new String(b, StandardCharsets.UTF_8))
                    .toList();
        }
    }

    private static byte[] frame(String payload) {
        byte[] body = payload.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(4 + body.length)
                .putInt(body.length)
                .put(body)
                .array();
    }

    private static byte[] concat(byte[]... parts) {
        int length = 0;
        for (byte[] p : parts) {
            length += p.length;
        }
        ByteBuffer all = ByteBuffer.allocate(length);
        for (byte[] p : parts) {
            all.put(p);
        }
        return all.array();
    }

    private static byte[] sizeOnly(int size) {
        return ByteBuffer.allocate(4).putInt(size).array();
    }

    private static ByteBuf buf(byte[] bytes) {
        return Unpooled.wrappedBuffer(bytes);
    }

    @Test
    void wholeFrameInOneFeedIsHandedOutWithoutItsSizePrefix() {
        RecordingSink sink = new RecordingSink();
        FrameDecoder decoder = new FrameDecoder(1024, sink);

        decoder.feed(buf(frame("hello")));

        assertThat(sink.frameStrings()).containsExactly("hello");
        assertThat(sink.invalidSizes).isEmpty();
        assertThat(decoder.pendingBytes()).isZero();
    }

    @Test
    void handedOutFrameStartsAtPositionZeroAndEndsAtTheFrameEnd() {
        List<ByteBuffer> received = new ArrayList<>();
        FrameDecoder decoder = new FrameDecoder(1024, new RecordingSink() {
            @Override
            public void onFrame(ByteBuffer frame) {
                received.add(frame);
            }
        });

        decoder.feed(buf(concat(frame("abc"), frame("defgh"))));

        assertThat(received).hasSize(2);
        assertThat(received.get(0).position()).isZero();
        assertThat(received.get(0).remaining()).isEqualTo(3);
        assertThat(received.get(1).position()).isZero();
        assertThat(received.get(1).remaining()).isEqualTo(5);
    }

    @Test
    void frameWhollyInOneHeapReadIsASliceOfItWithoutACopy() {
        List<ByteBuffer> received = new ArrayList<>();
        FrameDecoder decoder = new FrameDecoder(1024, new RecordingSink() {
            @Override
            public void onFrame(ByteBuffer frame) {
                received.add(frame);
            }
        });
        byte[] input = frame("data");

        decoder.feed(buf(input));

        ByteBuffer frame = received.getFirst();
        assertThat(frame.hasArray()).isTrue();
        assertThat(frame.array()).isSameAs(input);
        assertThat(frame.remaining()).isEqualTo(4);
    }

    @Test
    void frameGatheredFromSeveralReadsIsIndependentOfTheInputBuffers() {
        List<ByteBuffer> received = new ArrayList<>();
        FrameDecoder decoder = new FrameDecoder(1024, new RecordingSink() {
            @Override
            public void onFrame(ByteBuffer frame) {
                received.add(frame);
            }
        });
        byte[] whole = frame("data");
        byte[] first = Arrays.copyOfRange(whole, 0, 6);
        byte[] second = Arrays.copyOfRange(whole, 6, whole.length);

        decoder.feed(buf(first));
        decoder.feed(buf(second));
        Arrays.fill(first, (byte) 'x');
        Arrays.fill(second, (byte) 'x');

        byte[] got = new byte[received.getFirst().remaining()];
        received.getFirst().duplicate().get(got);
        assertThat(new String(got, StandardCharsets.UTF_8)).isEqualTo("data");
    }

    @Test
    void frameSplitAcrossFeedsIsHandedOutOnceComplete() {
        RecordingSink sink = new RecordingSink();
        FrameDecoder decoder = new FrameDecoder(1024, sink);
        byte[] whole = frame("split-frame");

        decoder.feed(buf(Arrays.copyOfRange(whole, 0, 6)));
        assertThat(sink.frames).isEmpty();
        assertThat(decoder.pendingBytes()).isEqualTo(6);

        decoder.feed(buf(Arrays.copyOfRange(whole, 6, whole.length)));
        assertThat(sink.frameStrings()).containsExactly("split-frame");
        assertThat(decoder.pendingBytes()).isZero();
    }

    @Test
    void sizePrefixSplitAcrossFeedsIsReassembled() {
        RecordingSink sink = new RecordingSink();
        FrameDecoder decoder = new FrameDecoder(1024, sink);
        byte[] whole = frame("xyz");

        decoder.feed(buf(Arrays.copyOfRange(whole, 0, 2)));
        decoder.feed(buf(Arrays.copyOfRange(whole, 2, 3)));
        assertThat(sink.frames).isEmpty();
        assertThat(decoder.pendingBytes()).isEqualTo(3);

        decoder.feed(buf(Arrays.copyOfRange(whole, 3, whole.length)));
        assertThat(sink.frameStrings()).containsExactly("xyz");
    }

    @Test
    void streamFedOneByteAtATimeYieldsEveryFrameInOrder() {
        RecordingSink sink = new RecordingSink();
        FrameDecoder decoder = new FrameDecoder(1024, sink);
        byte[] stream = concat(frame("one"), frame(""), frame("three"), frame("four!"));

        for (byte b : stream) {
            decoder.feed(buf(new byte[] {b}));
        }

        assertThat(sink.frameStrings()).containsExactly("one", "", "three", "four!");
        assertThat(sink.invalidSizes).isEmpty();
        assertThat(decoder.pendingBytes()).isZero();
    }

    @Test
    void severalFramesInOneFeedAreAllHandedOutInOrder() {
        RecordingSink sink = new RecordingSink();
        FrameDecoder decoder = new FrameDecoder(1024, sink);

        decoder.feed(buf(concat(frame("a"), frame("bb"), frame("ccc"))));

        assertThat(sink.frameStrings()).containsExactly("a", "bb", "ccc");
        assertThat(decoder.pendingBytes()).isZero();
    }

    @Test
    void trailingPartialFrameIsKeptAsPendingBytes() {
        RecordingSink sink = new RecordingSink();
        FrameDecoder decoder = new FrameDecoder(1024, sink);
        byte[] second = frame("second");

        decoder.feed(buf(concat(frame("first"), Arrays.copyOfRange(second, 0, 7))));

        assertThat(sink.frameStrings()).containsExactly("first");
        assertThat(decoder.pendingBytes()).isEqualTo(7);

        decoder.feed(buf(Arrays.copyOfRange(second, 7, second.length)));
        assertThat(sink.frameStrings()).containsExactly("first", "second");
        assertThat(decoder.pendingBytes()).isZero();
    }

    @Test
    void emptyFrameIsAValidFrame() {
        RecordingSink sink = new RecordingSink();
        FrameDecoder decoder = new FrameDecoder(1024, sink);

        decoder.feed(buf(sizeOnly(0)));

        assertThat(sink.frames).hasSize(1);
        assertThat(sink.frames.getFirst()).isEmpty();
        assertThat(sink.invalidSizes).isEmpty();
    }

    @Test
    void frameOfExactlyTheMaximumSizeIsAccepted() {
        RecordingSink sink = new RecordingSink();
        FrameDecoder decoder = new FrameDecoder(5, sink);

        decoder.feed(buf(frame("12345")));

        assertThat(sink.frameStrings()).containsExactly("12345");
        assertThat(sink.invalidSizes).isEmpty();
    }

    @Test
    void largeFrameBeyondInternalBufferSizeIsReassembled() {
        RecordingSink sink = new RecordingSink();
        FrameDecoder decoder = new FrameDecoder(1 << 20, sink);
        String payload = "p".repeat(200_000);
        byte[] whole = frame(payload);

        for (int from = 0; from < whole.length; from += 8192) {
            decoder.feed(buf(Arrays.copyOfRange(whole, from, Math.min(whole.length, from + 8192))));
        }
        decoder.feed(buf(frame("after")));

        assertThat(sink.frameStrings()).containsExactly(payload, "after");
        assertThat(decoder.pendingBytes()).isZero();
    }

    @Test
    void declaredSizeOnlyWaitsForBytesWithoutHandingOutAFrame() {
        RecordingSink sink = new RecordingSink();
        FrameDecoder decoder = new FrameDecoder(100 * 1024 * 1024, sink);

        decoder.feed(buf(concat(sizeOnly(50 * 1024 * 1024), new byte[10])));

        assertThat(sink.frames).isEmpty();
        assertThat(sink.invalidSizes).isEmpty();
        assertThat(decoder.pendingBytes()).isEqualTo(14);
    }

    @Test
    void sizeAboveTheMaximumIsReportedAsInvalid() {
        RecordingSink sink = new RecordingSink();
        FrameDecoder decoder = new FrameDecoder(5, sink);

        decoder.feed(buf(frame("123456")));

        assertThat(sink.frames).isEmpty();
        assertThat(sink.invalidSizes).containsExactly(6);
    }

    @Test
    void oversizedSizeIsReportedAsSoonAsThePrefixArrives() {
        RecordingSink sink = new RecordingSink();
        FrameDecoder decoder = new FrameDecoder(1024, sink);

        decoder.feed(buf(sizeOnly(1025)));

        assertThat(sink.invalidSizes).containsExactly(1025);
        assertThat(decoder.pendingBytes()).isZero();
    }

    @Test
    void negativeSizeIsReportedAsInvalid() {
        RecordingSink sink = new RecordingSink();
        FrameDecoder decoder = new FrameDecoder(1024, sink);

        decoder.feed(buf(sizeOnly(-1)));

        assertThat(sink.frames).isEmpty();
        assertThat(sink.invalidSizes).containsExactly(-1);
    }

    @Test
    void minimumIntSizeIsReportedAsInvalid() {
        RecordingSink sink = new RecordingSink();
        FrameDecoder decoder = new FrameDecoder(Integer.MAX_VALUE, sink);

        decoder.feed(buf(sizeOnly(Integer.MIN_VALUE)));

        assertThat(sink.invalidSizes).containsExactly(Integer.MIN_VALUE);
    }

    @Test
    void framesBeforeAnInvalidSizeAreHandedOutAndNoneAfter() {
        RecordingSink sink = new RecordingSink();
        FrameDecoder decoder = new FrameDecoder(16, sink);

        decoder.feed(buf(concat(frame("ok"), sizeOnly(-7), frame("never"))));

        assertThat(sink.frameStrings()).containsExactly("ok");
        assertThat(sink.invalidSizes).containsExactly(-7);
    }

    @Test
    void nothingFollowsAnInvalidSizeEvenOnLaterFeedsOrResume() {
        RecordingSink sink = new RecordingSink();
        FrameDecoder decoder = new FrameDecoder(16, sink);

        decoder.feed(buf(sizeOnly(17)));
        decoder.feed(buf(frame("late")));
        decoder.resume();
        decoder.feed(buf(sizeOnly(-1)));

        assertThat(sink.frames).isEmpty();
        assertThat(sink.invalidSizes).containsExactly(17);
        assertThat(decoder.pendingBytes()).isZero();
    }

    @Test
    void framesAreHeldWhileTheSinkIsNotAccepting() {
        RecordingSink sink = new RecordingSink();
        sink.accepting = false;
        FrameDecoder decoder = new FrameDecoder(1024, sink);
        byte[] stream = concat(frame("a"), frame("b"));

        decoder.feed(buf(stream));

        assertThat(sink.frames).isEmpty();
        assertThat(decoder.pendingBytes()).isEqualTo(stream.length);
    }

    @Test
    void resumeHandsOutHeldFramesInOrder() {
        RecordingSink sink = new RecordingSink();
        sink.accepting = false;
        FrameDecoder decoder = new FrameDecoder(1024, sink);
        decoder.feed(buf(frame("a")));
        decoder.feed(buf(concat(frame("b"), frame("c"))));

        sink.accepting = true;
        decoder.resume();

        assertThat(sink.frameStrings()).containsExactly("a", "b", "c");
        assertThat(decoder.pendingBytes()).isZero();
    }

    @Test
    void resumeWhileStillNotAcceptingHandsOutNothing() {
        RecordingSink sink = new RecordingSink();
        sink.accepting = false;
        FrameDecoder decoder = new FrameDecoder(1024, sink);
        decoder.feed(buf(frame("held")));

        decoder.resume();

        assertThat(sink.frames).isEmpty();
        assertThat(decoder.pendingBytes()).isEqualTo(8);
    }

    @Test
    void sinkThatStopsAcceptingMidFeedGetsNoMoreFramesUntilResume() {
        RecordingSink sink = new RecordingSink();
        sink.acceptOnly = 1;
        FrameDecoder decoder = new FrameDecoder(1024, sink);

        decoder.feed(buf(concat(frame("one"), frame("two"), frame("three"))));
        assertThat(sink.frameStrings()).containsExactly("one");
        assertThat(decoder.pendingBytes()).isEqualTo(7 + 9);

        sink.acceptOnly = 2;
        sink.accepting = true;
        decoder.resume();
        assertThat(sink.frameStrings()).containsExactly("one", "two");

        sink.acceptOnly = -1;
        sink.accepting = true;
        decoder.resume();
        assertThat(sink.frameStrings()).containsExactly("one", "two", "three");
        assertThat(decoder.pendingBytes()).isZero();
    }

    @Test
    void bytesFedWhilePausedAreKeptAndDecodedAfterResume() {
        RecordingSink sink = new RecordingSink();
        sink.accepting = false;
        FrameDecoder decoder = new FrameDecoder(1024, sink);
        byte[] whole = frame("partial-then-rest");

        decoder.feed(buf(Arrays.copyOfRange(whole, 0, 5)));
        decoder.feed(buf(Arrays.copyOfRange(whole, 5, whole.length)));
        assertThat(sink.frames).isEmpty();

        sink.accepting = true;
        decoder.resume();
        assertThat(sink.frameStrings()).containsExactly("partial-then-rest");
    }

    @Test
    void invalidSizeHeldWhilePausedIsReportedOnResumeAfterEarlierFrames() {
        RecordingSink sink = new RecordingSink();
        sink.accepting = false;
        FrameDecoder decoder = new FrameDecoder(16, sink);
        decoder.feed(buf(concat(frame("ok"), sizeOnly(1000))));
        assertThat(sink.invalidSizes).isEmpty();

        sink.accepting = true;
        decoder.resume();

        assertThat(sink.frameStrings()).containsExactly("ok");
        assertThat(sink.invalidSizes).containsExactly(1000);
    }

    @Test
    void resumeCalledFromInsideTheSinkDeliversEachFrameOnceInOrder() {
        List<String> received = new ArrayList<>();
        FrameDecoder[] holder = new FrameDecoder[1];
        FrameDecoder decoder = new FrameDecoder(1024, new RecordingSink() {
            @Override
            public void onFrame(ByteBuffer frame) {
                byte[] b = new byte[frame.remaining()];
                frame.get(b);
                received.add(new String(b, StandardCharsets.UTF_8));
                holder[0].resume();
            }
        });
        holder[0] = decoder;

        decoder.feed(buf(concat(frame("x"), frame("y"), frame("z"))));

        assertThat(received).containsExactly("x", "y", "z");
        assertThat(decoder.pendingBytes()).isZero();
    }

    @Test
    void hugeDeclaredSizeWithinAMaximumOfIntMaxWaitsForItsBytes() {
        RecordingSink sink = new RecordingSink();
        FrameDecoder decoder = new FrameDecoder(Integer.MAX_VALUE, sink);

        assertThatCode(() -> decoder.feed(buf(concat(sizeOnly(Integer.MAX_VALUE), new byte[4]))))
                .doesNotThrowAnyException();

        assertThat(sink.frames).isEmpty();
        assertThat(sink.invalidSizes).isEmpty();
        assertThat(decoder.pendingBytes()).isEqualTo(8);
    }
}
