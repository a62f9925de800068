package io.runnel.metadata;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.util.List;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * A partition leader's ISR changes (Kafka's AlterPartition, without the round trip to a controller):
 * one conditional update that succeeds only while the caller still leads at the epochs it read, as
 * the unfenced registration it is now (a stale incarnation's change is refused, KIP-380), only
 * when no member of the new ISR is fenced or shutting down (Kafka's INELIGIBLE_REPLICA), and
 * only when every broker it adds is registered at the broker epoch it fetched with, unfenced and not
 * shutting down (KIP-841, KIP-903).
 */
@ApplicationScoped
public class IsrStore {

    @Inject
    EntityManager em;

    /** The new partition epoch, or empty when the change lost to a newer one. */
    @Transactional
    public OptionalInt alterIsr(
            UUID topicId,
            int partition,
            int leader,
            long leaderBrokerEpoch,
            int leaderEpoch,
            int partitionEpoch,
            List<Integer> newIsr,
            List<Integer> added,
            List<Long> addedBrokerEpochs) {
        @SuppressWarnings("unchecked")
        List<Number> result = em.createNativeQuery("""
                        update partitions set isr = cast(?1 as int[]), partition_epoch = partition_epoch + 1
                        where topic_id = ?2 and partition_index = ?3
                          and leader = ?4 and leader_epoch = ?5 and partition_epoch = ?6
                          and exists (select 1 from brokers l
                                       where l.node_id = ?4 and l.broker_epoch = ?9 and not l.fenced)
                          and not exists (select 1 from brokers m
                                           where m.node_id = any(cast(?1 as int[]))
                                             and (m.fenced or m.controlled_shutdown))
                          and (select count(*) from brokers b
                                 join unnest(cast(?7 as int[]), cast(?8 as bigint[])) a(id, epoch)
                                   on b.node_id = a.id and b.broker_epoch = a.epoch
                                  and not b.fenced and not b.controlled_shutdown)
                              = cardinality(cast(?7 as int[]))
                        returning partition_epoch
                        """)
                .setParameter(1, array(newIsr))
                .setParameter(2, topicId)
                .setParameter(3, partition)
                .setParameter(4, leader)
                .setParameter(5, leaderEpoch)
                .setParameter(6, partitionEpoch)
                .setParameter(7, array(added))
                .setParameter(8, array(addedBrokerEpochs))
                .setParameter(9, leaderBrokerEpoch)
                .getResultList();
        return result.isEmpty()
                ? OptionalInt.empty()
                : OptionalInt.of(result.getFirst().intValue());
    }

    private static String array(List<? extends Number> values) {
        return values.stream().map(String::valueOf).collect(Collectors.joining(",", "{", "}"));
    }
}
