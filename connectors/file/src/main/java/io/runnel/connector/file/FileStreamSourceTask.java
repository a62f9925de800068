package io.runnel.connector.file;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.source.SourceTask;

/**
 * Tails the files of its share of {@code files}, one {@link TailedFile} each, resuming each at its
 * committed position.
 *
 * <p>A poll takes up to {@code batch.size} records from the files that have complete lines. The file
 * asked first moves on by one at every poll, so a file that always fills the batch cannot starve the
 * others. When no file has a complete line, the poll waits {@value #IDLE_WAIT_MS} ms, or until {@link
 * #stop()}, and returns null.
 *
 * <p>Threads: the runtime polls from the task thread and may call {@link #stop()} from another. The
 * lock serialises the two: a poll reads the files under it, and stop closes them under it, so no
 * channel is closed under a read in progress. A waiting poll does not hold the lock.
 */
public class FileStreamSourceTask extends SourceTask {

    private static final System.Logger LOG = System.getLogger(FileStreamSourceTask.class.getName());

    /** How long a poll that found nothing waits before returning, so the runtime does not spin. */
    static final long IDLE_WAIT_MS = 200;

    private final long idleWaitMs;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition stopRequested = lock.newCondition();

    // Guarded by lock.
    private List<TailedFile> files = List.of();
    private int batchSize;
    private int firstFile;
    private boolean stopped;

    public FileStreamSourceTask() {
        this(IDLE_WAIT_MS);
    }

    /** For tests that need a longer wait, to tell a poll woken by stop() from one that timed out. */
    FileStreamSourceTask(long idleWaitMs) {
        this.idleWaitMs = idleWaitMs;
    }

    @Override
    public String version() {
        return Version.VERSION;
    }

    @Override
    public void start(Map<String, String> props) {
        FileStreamSourceConfig config = new FileStreamSourceConfig(props);
        List<TailedFile> tailed = new ArrayList<>();
        for (String filename : config.files()) {
            long position = SourceOffsets.committedPosition(context.offsetStorageReader(), filename);
            LOG.log(Level.INFO, "Tailing {0} into {1} from position {2,number,#}", filename, config.topic(), position);
            tailed.add(new TailedFile(filename, config.topic(), position));
        }
        lock.lock();
        try {
            files = tailed;
            batchSize = config.batchSize();
            firstFile = 0;
            stopped = false;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<SourceRecord> poll() throws InterruptedException {
        lock.lockInterruptibly();
        try {
            if (stopped) {
                return null;
            }
            List<SourceRecord> records = readBatch();
            if (!records.isEmpty()) {
                return records;
            }
            stopRequested.await(idleWaitMs, TimeUnit.MILLISECONDS);
            return null;
        } finally {
            lock.unlock();
        }
    }

    /** Closes the files; callable from any thread, also while a poll waits. */
    @Override
    public void stop() {
        lock.lock();
        try {
            stopped = true;
            for (TailedFile file : files) {
                try {
                    file.close();
                } catch (IOException e) {
                    LOG.log(Level.WARNING, "Could not close " + file.filename(), e);
                }
            }
            stopRequested.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private List<SourceRecord> readBatch() {
        List<SourceRecord> records = new ArrayList<>();
        int count = files.size();
        for (int i = 0; i < count && records.size() < batchSize; i++) {
            TailedFile file = files.get((firstFile + i) % count);
            try {
                file.poll(batchSize - records.size(), records);
            } catch (IOException e) {
                throw new ConnectException("Could not read " + file.filename(), e);
            }
        }
        if (count > 0) {
            firstFile = (firstFile + 1) % count;
        }
        return records;
    }
}
