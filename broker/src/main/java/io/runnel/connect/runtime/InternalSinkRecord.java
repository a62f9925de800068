package io.runnel.connect.runtime;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.sink.SinkRecord;

/**
 * A sink record that remembers the record it was consumed as, through every transform, so the
 * errant record reporter can send the original bytes to the dead letter queue.
 */
final class InternalSinkRecord extends SinkRecord {

    private final ConsumerRecord<byte[], byte[]> consumed;

    InternalSinkRecord(ConsumerRecord<byte[], byte[]> consumed, SinkRecord record) {
        super(
                record.topic(),
                record.kafkaPartition(),
                record.keySchema(),
                record.key(),
                record.valueSchema(),
                record.value(),
                record.kafkaOffset(),
                record.timestamp(),
                record.timestampType(),
                record.headers(),
                record.originalTopic(),
                record.originalKafkaPartition(),
                record.originalKafkaOffset());
        this.consumed = consumed;
    }

    ConsumerRecord<byte[], byte[]> consumed() {
        return consumed;
    }

    @Override
    public SinkRecord newRecord(
            String topic,
            Integer kafkaPartition,
            Schema keySchema,
            Object key,
            Schema valueSchema,
            Object value,
            Long timestamp,
            Iterable<Header> headers) {
        return new InternalSinkRecord(
                consumed,
                super.newRecord(topic, kafkaPartition, keySchema, key, valueSchema, value, timestamp, headers));
    }

    @Override
    public SinkRecord newRecord(
            String topic,
            Integer kafkaPartition,
            Schema keySchema,
            Object key,
            Schema valueSchema,
            Object value,
            Long timestamp) {
        return newRecord(
                topic,
                kafkaPartition,
                keySchema,
                key,
                valueSchema,
                value,
                timestamp,
                headers().duplicate());
    }
}
