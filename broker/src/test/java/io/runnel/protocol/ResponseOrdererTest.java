package io.runnel.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ResponseOrdererTest {

    private final List<String> sent = new ArrayList<>();
    private final ResponseOrderer<String> orderer = new ResponseOrderer<>(sent::add);

    @Test
    void sequenceNumbersAreHandedOutInArrivalOrderFromZero() {
        assertThat(orderer.register()).isZero();
        assertThat(orderer.register()).isEqualTo(1);
        assertThat(orderer.register()).isEqualTo(2);
    }

    @Test
    void responseCompletedInOrderIsSentAtOnce() {
        long a = orderer.register();
        long b = orderer.register();

        orderer.complete(a, "a");
        assertThat(sent).containsExactly("a");

        orderer.complete(b, "b");
        assertThat(sent).containsExactly("a", "b");
    }

    @Test
    void laterResponseWaitsUntilEarlierOnesAreSent() {
        long a = orderer.register();
        long b = orderer.register();
        long c = orderer.register();

        orderer.complete(c, "c");
        orderer.complete(b, "b");
        assertThat(sent).isEmpty();

        orderer.complete(a, "a");
        assertThat(sent).containsExactly("a", "b", "c");
    }

    @Test
    void completingTheHeadReleasesOnlyTheContiguousRun() {
        long a = orderer.register();
        long b = orderer.register();
        long c = orderer.register();
        long d = orderer.register();

        orderer.complete(b, "b");
        orderer.complete(d, "d");
        orderer.complete(a, "a");
        assertThat(sent).containsExactly("a", "b");

        orderer.complete(c, "c");
        assertThat(sent).containsExactly("a", "b", "c", "d");
    }

    @Test
    void randomCompletionOrderAlwaysSendsInRequestOrder() {
        int n = 200;
        List<Long> sequences = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            sequences.add(orderer.register());
        }
        Collections.shuffle(sequences, new Random(42));

        for (long s : sequences) {
            orderer.complete(s, "r" + s);
        }

        assertThat(sent)
                .containsExactlyElementsOf(
                        IntStream.range(0, n).mapToObj(i -> "r" + i).toList());
        assertThat(orderer.inFlight()).isZero();
    }

    @Test
    void nullResponseIsSkippedAndNeverSent() {
        long a = orderer.register();
        long b = orderer.register();
        long c = orderer.register();

        orderer.complete(a, "a");
        orderer.complete(b, null);
        orderer.complete(c, "c");

        assertThat(sent).containsExactly("a", "c");
        assertThat(orderer.inFlight()).isZero();
    }

    @Test
    void nullResponseCompletedLastReleasesTheResponsesWaitingBehindIt() {
        long a = orderer.register();
        long b = orderer.register();
        long c = orderer.register();

        orderer.complete(b, "b");
        orderer.complete(c, "c");
        assertThat(sent).isEmpty();

        orderer.complete(a, null);
        assertThat(sent).containsExactly("b", "c");
        assertThat(orderer.inFlight()).isZero();
    }

    @Test
    void nullResponseOutOfOrderStillWaitsForEarlierRequests() {
        long a = orderer.register();
        long b = orderer.register();
        long c = orderer.register();

        orderer.complete(b, null);
        orderer.complete(c, "c");
        assertThat(sent).isEmpty();
        assertThat(orderer.inFlight()).isEqualTo(3);

        orderer.complete(a, "a");
        assertThat(sent).containsExactly("a", "c");
        assertThat(orderer.inFlight()).isZero();
    }

    @Test
    void onlyNullResponsesSendNothing() {
        long a = orderer.register();
        long b = orderer.register();

        orderer.complete(b, null);
        orderer.complete(a, null);

        assertThat(sent).isEmpty();
        assertThat(orderer.inFlight()).isZero();
    }

    @Test
    void inFlightIsZeroBeforeAnyRequest() {
        assertThat(orderer.inFlight()).isZero();
    }

    @Test
    void inFlightCountsRegisteredRequestsNotYetSent() {
        long a = orderer.register();
        long b = orderer.register();
        long c = orderer.register();
        assertThat(orderer.inFlight()).isEqualTo(3);

        orderer.complete(a, "a");
        assertThat(orderer.inFlight()).isEqualTo(2);

        orderer.complete(c, "c");
        assertThat(orderer.inFlight())
                .as("a finished response held behind an earlier one is still in flight")
                .isEqualTo(2);

        orderer.complete(b, "b");
        assertThat(orderer.inFlight()).isZero();
    }

    @Test
    void inFlightDropsWhenASkippedRequestIsPassed() {
        long a = orderer.register();
        orderer.register();
        assertThat(orderer.inFlight()).isEqualTo(2);

        orderer.complete(a, null);

        assertThat(orderer.inFlight()).isEqualTo(1);
    }

    @Test
    void requestsRegisteredAfterEarlierOnesWereSentContinueTheOrder() {
        long a = orderer.register();
        orderer.complete(a, "a");

        long b = orderer.register();
        long c = orderer.register();
        orderer.complete(c, "c");
        assertThat(sent).containsExactly("a");

        orderer.complete(b, "b");
        assertThat(sent).containsExactly("a", "b", "c");
    }
}
