-- Consumer groups: what Apache Kafka keeps in __consumer_offsets.

-- Committed offsets, one row per group and partition; written with batched upserts.
create table committed_offsets (
    group_id         varchar(255) not null,
    topic            varchar(249) not null,
    partition_index  integer not null,
    committed_offset bigint not null,
    leader_epoch     integer not null default -1,
    metadata         text,
    commit_time_ms   bigint not null,                -- broker time of the commit
    primary key (group_id, topic, partition_index)
);

-- The last completed generation of each group with members, so a coordinator that restarts can
-- carry on: members keep heartbeating with their generation and need not rejoin.
create table consumer_groups (
    group_id        varchar(255) primary key,
    protocol_type   varchar(255),
    protocol_name   varchar(255),
    generation_id   integer not null,
    leader_id       varchar(255),
    state_time_ms   bigint not null,                 -- when the group last changed state
    members         bytea not null                   -- GroupMember.encodeAll: ids, timeouts, metadata, assignments
);
