package io.runnel.connector.file;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.errors.ConnectException;

/**
 * The side file {@code <file>.offsets} of a sink's output file, holding its last {@link Checkpoint}.
 *
 * <p>Format, UTF-8 text, one item a line, in the manner of Kafka's offset checkpoint files:
 *
 * <pre>
 *   1                              format version
 *   &lt;fileLength&gt;                   bytes of the output file the offsets account for
 *   &lt;n&gt;                            number of entries
 *   &lt;topic&gt; &lt;partition&gt; &lt;offset&gt;   n lines; offset is the next offset to consume
 * </pre>
 *
 * Topic names cannot hold spaces, so a space separates the fields.
 *
 * <p>Written atomically: to {@code <file>.offsets.tmp} in the same directory, forced to disk, renamed
 * over the side file with an atomic move, then the directory is forced so the rename survives a
 * crash. A reader sees the previous checkpoint or the new one, never a mixture.
 */
final class CheckpointFile {

    private static final System.Logger LOG = System.getLogger(CheckpointFile.class.getName());

    private static final int VERSION = 1;

    private final Path path;
    private final Path temporary;

    CheckpointFile(Path path) {
        this.path = path;
        this.temporary = path.resolveSibling(path.getFileName() + ".tmp");
    }

    Path path() {
        return path;
    }

    /**
     * @return the checkpoint, or empty when the side file does not exist
     * @throws ConnectException when the side file exists but is not a checkpoint: guessing would
     *     throw away or duplicate output
     */
    Optional<Checkpoint> read() throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(path, UTF_8);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        try {
            return Optional.of(parse(lines));
        } catch (RuntimeException e) {
            throw new ConnectException("Checkpoint " + path + " is malformed: " + e.getMessage(), e);
        }
    }

    void write(Checkpoint checkpoint) throws IOException {
        byte[] content = format(checkpoint).getBytes(UTF_8);
        try (FileChannel channel = FileChannel.open(
                temporary, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            ByteBuffer buffer = ByteBuffer.wrap(content);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(true);
        }
        Files.move(temporary, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        forceDirectory();
    }

    private void forceDirectory() {
        Path directory = path.toAbsolutePath().getParent();
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // Some platforms cannot open or force a directory; the rename is then as durable as they allow.
            LOG.log(Level.DEBUG, "Could not force directory " + directory, e);
        }
    }

    private static String format(Checkpoint checkpoint) {
        StringBuilder text = new StringBuilder();
        text.append(VERSION).append('\n');
        text.append(checkpoint.fileLength()).append('\n');
        text.append(checkpoint.offsets().size()).append('\n');
        checkpoint.offsets().entrySet().stream()
                .sorted(Map.Entry.comparingByKey((a, b) -> a.topic().equals(b.topic())
                        ? Integer.compare(a.partition(), b.partition())
                        : a.topic().compareTo(b.topic())))
                .forEach(entry -> text.append(entry.getKey().topic())
                        .append(' ')
                        .append(entry.getKey().partition())
                        .append(' ')
                        .append(entry.getValue())
                        .append('\n'));
        return text.toString();
    }

    private static Checkpoint parse(List<String> lines) {
        if (lines.size() < 3) {
            throw new IllegalArgumentException("expected at least 3 lines, found " + lines.size());
        }
        int version = Integer.parseInt(lines.get(0).trim());
        if (version != VERSION) {
            throw new IllegalArgumentException("unknown version " + version);
        }
        long fileLength = Long.parseLong(lines.get(1).trim());
        int count = Integer.parseInt(lines.get(2).trim());
        if (lines.size() != 3 + count) {
            throw new IllegalArgumentException(count + " entries announced, " + (lines.size() - 3) + " found");
        }
        Map<TopicPartition, Long> offsets = new HashMap<>();
        for (String line : lines.subList(3, lines.size())) {
            String[] fields = line.trim().split(" ");
            if (fields.length != 3) {
                throw new IllegalArgumentException("entry '" + line + "' is not '<topic> <partition> <offset>'");
            }
            offsets.put(new TopicPartition(fields[0], Integer.parseInt(fields[1])), Long.parseLong(fields[2]));
        }
        return new Checkpoint(fileLength, offsets);
    }
}
