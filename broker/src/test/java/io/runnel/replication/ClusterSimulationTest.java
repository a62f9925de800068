package io.runnel.replication;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.logging.Level;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The seeded cluster simulation ({@link ClusterSimulation}) over many schedules of crashes, pauses,
 * store outages and delays. {@code -Drunnel.simulation.seeds=N} runs seeds 0..N-1 (default 20; a few seconds each on two cores);
 * {@code -Drunnel.simulation.seed=S} replays one.
 */
class ClusterSimulationTest {

    @BeforeAll
    static void quiet() {
        java.util.logging.Logger.getLogger("io.runnel").setLevel(Level.WARNING);
    }

    static Stream<Long> seeds() {
        Long one = Long.getLong("runnel.simulation.seed");
        if (one != null) {
            return Stream.of(one);
        }
        return LongStream.range(0, Long.getLong("runnel.simulation.seeds", 20)).boxed();
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void invariantsHoldUnderCrashesPausesAndStoreOutages(long seed, @TempDir Path dir) throws Exception {
        Path run = Files.createDirectories(dir.resolve("seed-" + seed));
        new ClusterSimulation(seed, run).run();
    }
}
