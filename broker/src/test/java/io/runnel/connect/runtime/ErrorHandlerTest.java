package io.runnel.connect.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.errors.RetriableException;
import org.junit.jupiter.api.Test;

class ErrorHandlerTest {

    private static final TaskId TASK = new TaskId("c", 0);

    private final List<String> reported = new ArrayList<>();
    private final ErrorHandler.Reporter reporter =
            (context, stage, executingClass, error) -> reported.add(stage + ":" + error.getMessage());

    @Test
    void aSuccessfulOperationReturnsItsResult() {
        ErrorHandler handler = new ErrorHandler(TASK, Map.of(), reporter);

        assertThat(handler.execute(ErrorHandler.Stage.VALUE_CONVERTER, String.class, null, () -> "ok"))
                .isEqualTo("ok");
        assertThat(reported).isEmpty();
    }

    @Test
    void withoutToleranceAFailureFailsTheTaskWithTheCause() {
        ErrorHandler handler = new ErrorHandler(TASK, Map.of(), reporter);

        assertThatThrownBy(() -> handler.execute(ErrorHandler.Stage.VALUE_CONVERTER, String.class, null, () -> {
                    throw new DataException("bad bytes");
                }))
                .isInstanceOf(ConnectException.class)
                .hasMessage("Tolerance exceeded in error handler")
                .hasCauseInstanceOf(DataException.class);
        assertThat(reported).isEmpty();
    }

    @Test
    void withToleranceAllAFailureIsReportedAndSkipped() {
        ErrorHandler handler = new ErrorHandler(TASK, Map.of("errors.tolerance", "all"), reporter);

        Object result = handler.execute(ErrorHandler.Stage.TRANSFORMATION, String.class, null, () -> {
            throw new DataException("no such field");
        });

        assertThat(result).isNull();
        assertThat(reported).containsExactly("TRANSFORMATION:no such field");
        assertThat(handler.failures()).isEqualTo(1);
    }

    @Test
    void aRetriableFailureIsRetriedWithinTheRetryTimeout() {
        ErrorHandler handler = new ErrorHandler(
                TASK, Map.of("errors.retry.timeout", "60000", "errors.retry.delay.max.ms", "1"), reporter);
        AtomicInteger attempts = new AtomicInteger();

        String result = handler.execute(ErrorHandler.Stage.KEY_CONVERTER, String.class, null, () -> {
            if (attempts.incrementAndGet() < 3) {
                throw new RetriableException("not yet");
            }
            return "third time";
        });

        assertThat(result).isEqualTo("third time");
        assertThat(attempts).hasValue(3);
    }

    @Test
    void withoutRetryTimeoutARetriableFailureIsNotRetried() {
        ErrorHandler handler = new ErrorHandler(TASK, Map.of("errors.tolerance", "all"), reporter);
        AtomicInteger attempts = new AtomicInteger();

        Object result = handler.execute(ErrorHandler.Stage.KEY_CONVERTER, String.class, null, () -> {
            attempts.incrementAndGet();
            throw new RetriableException("down");
        });

        assertThat(result).isNull();
        assertThat(attempts).hasValue(1);
        assertThat(reported).containsExactly("KEY_CONVERTER:down");
    }

    @Test
    void aNonRetriableFailureIsNotRetriedEvenWithARetryTimeout() {
        ErrorHandler handler =
                new ErrorHandler(TASK, Map.of("errors.retry.timeout", "60000", "errors.tolerance", "all"), reporter);
        AtomicInteger attempts = new AtomicInteger();

        handler.execute(ErrorHandler.Stage.VALUE_CONVERTER, String.class, null, () -> {
            attempts.incrementAndGet();
            throw new DataException("bad");
        });

        assertThat(attempts).hasValue(1);
    }
}
