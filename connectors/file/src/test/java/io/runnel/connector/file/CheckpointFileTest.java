package io.runnel.connector.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.errors.ConnectException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointFileTest {

    @TempDir
    Path dir;

    @Test
    void readsBackWhatItWrote() throws IOException {
        CheckpointFile file = new CheckpointFile(dir.resolve("out.txt.offsets"));
        Checkpoint checkpoint = new Checkpoint(
                1234, Map.of(new TopicPartition("orders", 0), 42L, new TopicPartition("orders.v2-x_y", 11), 7L));

        file.write(checkpoint);

        assertThat(file.read()).contains(checkpoint);
        assertThat(Files.readString(file.path())).isEqualTo("1\n1234\n2\norders 0 42\norders.v2-x_y 11 7\n");
        assertThat(dir.resolve("out.txt.offsets.tmp")).doesNotExist();
    }

    @Test
    void replacesThePreviousCheckpoint() throws IOException {
        CheckpointFile file = new CheckpointFile(dir.resolve("out.txt.offsets"));
        file.write(new Checkpoint(10, Map.of(new TopicPartition("t", 0), 1L)));

        file.write(new Checkpoint(20, Map.of()));

        assertThat(file.read()).contains(new Checkpoint(20, Map.of()));
    }

    @Test
    void isEmptyWhenThereIsNoSideFile() throws IOException {
        assertThat(new CheckpointFile(dir.resolve("none.offsets")).read()).isEmpty();
    }

    @Test
    void refusesAMalformedSideFile() throws IOException {
        Path path = dir.resolve("out.txt.offsets");
        Files.writeString(path, "1\n100\n2\nt 0 5\n");

        assertThatThrownBy(() -> new CheckpointFile(path).read())
                .isInstanceOf(ConnectException.class)
                .hasMessageContaining("2 entries announced, 1 found");
    }
}
