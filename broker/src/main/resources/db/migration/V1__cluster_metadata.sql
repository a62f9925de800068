-- Cluster metadata: what ZooKeeper or the KRaft quorum hold in Apache Kafka.
-- Partition state changes are conditional updates on leader_epoch / partition_epoch, so two
-- writers can never both win.

create table cluster (
    singleton  boolean primary key default true check (singleton),
    cluster_id varchar(22) not null,                 -- Kafka's base64 form of a UUID
    created_at timestamptz not null default now()
);

create table brokers (
    node_id          integer primary key,
    rack             varchar(255),
    listeners        text not null,                  -- advertised: NAME://host:port,...
    incarnation_id   uuid not null,                  -- new on every start of the broker process
    registered_at    timestamptz not null,
    lease_expires_at timestamptz not null            -- on PostgreSQL's clock
);

create table topics (
    topic_id   uuid primary key,
    name       varchar(249) not null unique,
    created_at timestamptz not null default now()
);

create table partitions (
    topic_id        uuid not null references topics (topic_id) on delete cascade,
    partition_index integer not null,
    replicas        integer[] not null,              -- preferred leader first
    isr             integer[] not null,
    leader          integer not null,                -- -1: no leader
    leader_epoch    integer not null,
    partition_epoch integer not null,
    primary key (topic_id, partition_index)
);

create table topic_configs (
    topic_id uuid not null references topics (topic_id) on delete cascade,
    name     varchar(255) not null,
    value    text,
    primary key (topic_id, name)
);
