package io.runnel.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** Writes a small file so that a crash leaves either the old or the new contents, never a mix. */
final class AtomicFile {

    private AtomicFile() {}

    /** Writes {@code contents} to a temporary sibling, forces it to disk, and renames it over {@code file}. */
    static void write(Path file, ByteBuffer contents) throws IOException {
        write(file, contents, true);
    }

    /**
     * As {@link #write(Path, ByteBuffer)}, but without forcing the contents to disk first: cheap,
     * for values where losing the latest write to a power failure is safe. After one, the file may
     * hold the old contents or, on some file systems, be empty; readers treat that as no value.
     */
    static void writeUnsynced(Path file, ByteBuffer contents) throws IOException {
        write(file, contents, false);
    }

    private static void write(Path file, ByteBuffer contents, boolean force) throws IOException {
        Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel channel = FileChannel.open(
                temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            while (contents.hasRemaining()) {
                channel.write(contents);
            }
            if (force) {
                channel.force(true);
            }
        }
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
