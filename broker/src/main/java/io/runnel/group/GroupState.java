package io.runnel.group;

/** The states of a classic group, with the names Kafka reports in DescribeGroups and ListGroups. */
enum GroupState {
    EMPTY("Empty"),
    PREPARING_REBALANCE("PreparingRebalance"),
    COMPLETING_REBALANCE("CompletingRebalance"),
    STABLE("Stable"),
    DEAD("Dead");

    final String kafkaName;

    GroupState(String kafkaName) {
        this.kafkaName = kafkaName;
    }

    static GroupState fromKafkaName(String name) {
        for (GroupState state : values()) {
            if (state.kafkaName.equalsIgnoreCase(name)) {
                return state;
            }
        }
        return null;
    }
}
