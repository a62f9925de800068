package io.runnel.log;

/** Where an idempotent producer stands in a partition: its epoch and the last sequence written. */
public record ProducerSequence(short epoch, int lastSequence) {}
