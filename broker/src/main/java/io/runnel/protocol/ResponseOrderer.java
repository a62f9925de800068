package io.runnel.protocol;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Kafka clients match responses to requests by order as well as correlation id: a connection must
 * answer in the order it was asked, even when a later request finishes first. Each request takes a
 * sequence number when it arrives; finished responses wait here until all earlier ones have gone.
 *
 * <p>Not thread-safe: owned by one connection's event loop.
 *
 * @param <R> the response type; {@code null} marks a request that gets no response (acks=0)
 */
final class ResponseOrderer<R> {

    private final Consumer<R> sender;
    private final Map<Long, R> finished = new HashMap<>();
    private final Map<Long, Boolean> silent = new HashMap<>();
    private long nextSequence;
    private long nextToSend;

    ResponseOrderer(Consumer<R> sender) {
        this.sender = sender;
    }

    long register() {
        return nextSequence++;
    }

    /** Requests registered and not yet answered (or skipped). */
    int inFlight() {
        return (int) (nextSequence - nextToSend);
    }

    /** Records the response of request {@code sequence} and sends every response now in order. */
    void complete(long sequence, R response) {
        if (response == null) {
            silent.put(sequence, Boolean.TRUE);
        } else {
            finished.put(sequence, response);
        }
        while (true) {
            R next = finished.remove(nextToSend);
            if (next != null) {
                nextToSend++;
                sender.accept(next);
            } else if (silent.remove(nextToSend) != null) {
                nextToSend++;
            } else {
                return;
            }
        }
    }
}
