package io.runnel.group;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnel.cluster.BrokerImage;
import io.runnel.cluster.CoordinatorSlot;
import io.runnel.cluster.MetadataImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntUnaryOperator;
import org.junit.jupiter.api.Test;

class GroupMetadataManagerTest {

    private static final BrokerImage ONE = new BrokerImage(1, Optional.empty(), List.of());
    private static final BrokerImage TWO_FENCED = new BrokerImage(2, Optional.empty(), List.of(), 7, true, false);

    private static MetadataImage image(IntUnaryOperator coordinator) {
        List<CoordinatorSlot> slots = new ArrayList<>();
        for (int s = 0; s < CoordinatorSlot.COUNT; s++) {
            slots.add(new CoordinatorSlot(s, coordinator.applyAsInt(s), 1));
        }
        return MetadataImage.of("cluster", 1, Map.of(1, ONE, 2, TWO_FENCED), List.of(), slots, 1);
    }

    @Test
    void everySlotIsPlacedOnlyWhenEachHasAnActiveCoordinator() {
        assertThat(GroupMetadataManager.everySlotPlaced(image(s -> 1))).isTrue();
        assertThat(GroupMetadataManager.everySlotPlaced(image(s -> s == 3 ? CoordinatorSlot.NO_COORDINATOR : 1)))
                .as("one slot not placed yet")
                .isFalse();
        assertThat(GroupMetadataManager.everySlotPlaced(image(s -> s % 2 + 1)))
                .as("half on a fenced broker")
                .isFalse();
        assertThat(GroupMetadataManager.everySlotPlaced(MetadataImage.EMPTY))
                .as("before the first load")
                .isFalse();
    }

    @Test
    void slotNumbersAreLoggedAsRanges() {
        assertThat(GroupMetadataManager.ranges(List.of(9, 0, 1, 2, 3, 7, 10))).isEqualTo("0-3, 7, 9-10");
        assertThat(GroupMetadataManager.ranges(List.of(4))).isEqualTo("4");
        assertThat(GroupMetadataManager.ranges(List.of())).isEmpty();
    }
}
