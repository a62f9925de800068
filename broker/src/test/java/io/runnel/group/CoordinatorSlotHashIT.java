package io.runnel.group;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnel.cluster.CoordinatorSlot;
import io.runnel.testing.TestPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

/**
 * A broker loads a slot's groups with PostgreSQL's {@code group_slot(group_id)} and serves a group by
 * Java's {@link CoordinatorSlot#slotOf}: were they ever to disagree on a group, its offsets would be
 * loaded by a broker that does not coordinate it and missed by the one that does.
 */
class CoordinatorSlotHashIT {

    private static final String ALPHABET = "abcxyz-_.0123456789ABCXYZäöüßéñ组群ü€\u00a0𝄞";

    @Test
    void postgresAndJavaPutTenThousandGroupIdsInTheSameSlots() throws Exception {
        TestPostgres postgres = TestPostgres.get();
        String database = postgres.createDatabase("slot_hash");
        Flyway.configure()
                .dataSource(postgres.jdbcUrl(database), "postgres", "")
                .locations("classpath:db/migration")
                .load()
                .migrate();
        Random random = new Random(42);
        List<String> groupIds = new ArrayList<>(List.of("", "a", "connect-es-sink", "g".repeat(255)));
        int[] codePoints = ALPHABET.codePoints().toArray();
        while (groupIds.size() < 10_000) {
            StringBuilder id = new StringBuilder();
            for (int i = random.nextInt(1, 40); i > 0; i--) {
                id.appendCodePoint(codePoints[random.nextInt(codePoints.length)]);
            }
            groupIds.add(id.toString());
        }

        Map<String, Integer> inPostgres = new HashMap<>();
        try (Connection c = postgres.connect(database);
                PreparedStatement s = c.prepareStatement("select g, group_slot(g) from unnest(?) as g")) {
            s.setArray(1, c.createArrayOf("text", groupIds.toArray()));
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    inPostgres.put(rs.getString(1), rs.getInt(2));
                }
            }
        }

        int[] perSlot = new int[CoordinatorSlot.COUNT];
        for (String groupId : groupIds) {
            int slot = CoordinatorSlot.slotOf(groupId);
            assertThat(inPostgres.get(groupId)).as("slot of %s", groupId).isEqualTo(slot);
            perSlot[slot]++;
        }
        assertThat(Arrays.stream(perSlot).min().orElseThrow())
                .as("fewest groups in a slot, of about 200")
                .isGreaterThan(100);
    }
}
