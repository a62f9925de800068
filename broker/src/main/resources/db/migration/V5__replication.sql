-- Replication and leadership (issue 5): broker epochs and fencing, the controller lease, the group
-- coordinator slots, and change notification. See docs/design/replication-plan.md §3.

-- A registration takes a new broker epoch and starts fenced; only the controller unfences a broker
-- (KIP-380/KIP-903: a replica from an older registration can be told apart by its epoch).
alter table brokers
    add column broker_epoch        bigint  not null default 0,     -- nextval('broker_epochs') per registration
    add column fenced              boolean not null default true,  -- written by the controller only
    add column controlled_shutdown boolean not null default false; -- written by the broker on SIGTERM
create sequence broker_epochs;

-- The controller lease. The epoch grows by one whenever the lease changes hands, which fences every
-- transaction of an earlier holder (each one takes this row FOR SHARE and checks holder and epoch).
create table controller (
    singleton        boolean primary key default true check (singleton),
    holder           integer,                         -- node id of the controller; null: none
    epoch            integer not null,
    lease_expires_at timestamptz not null             -- on PostgreSQL's clock
);
insert into controller (singleton, holder, epoch, lease_expires_at) values (true, null, 0, '-infinity');

-- Kafka's __consumer_offsets partitions: a group belongs to slot group_slot(group_id), and the slot's
-- coordinator is the broker that serves the group. The epoch fences writes of an earlier coordinator.
create table coordinator_slots (
    slot              integer primary key,
    coordinator       integer not null,               -- node id; -1: none
    coordinator_epoch integer not null
);
insert into coordinator_slots (slot, coordinator, coordinator_epoch) select s, -1, 0 from generate_series(0, 49) s;

-- The first 4 bytes of MD5(group id) as a signed int, floor-mod 50; CoordinatorSlot.slotOf is the same
-- in Java. md5(text) hashes the database encoding, which must be UTF8.
create function group_slot(g text) returns integer immutable language sql
    as $$ select mod(mod(('x' || substr(md5(g), 1, 8))::bit(32)::int, 50) + 50, 50) $$;
create index committed_offsets_slot on committed_offsets (group_slot(group_id));
create index consumer_groups_slot on consumer_groups (group_slot(group_id));

-- Every change brokers must see bumps metadata_version and notifies 'runnel_metadata' (delivered at
-- commit). The triggers run BEFORE each statement, so the first metadata write of any transaction
-- locks the cluster row before any other row: writers queue on it instead of deadlocking.
alter table cluster add column metadata_version bigint not null default 0;
create function metadata_changed() returns trigger language plpgsql as $$
begin
    update cluster set metadata_version = metadata_version + 1;
    perform pg_notify('runnel_metadata', tg_table_name);
    return null;
end $$;

create trigger topics_changed before insert or update or delete on topics
    for each statement execute function metadata_changed();
create trigger partitions_changed before insert or update or delete on partitions
    for each statement execute function metadata_changed();
create trigger topic_configs_changed before insert or update or delete on topic_configs
    for each statement execute function metadata_changed();
create trigger coordinator_slots_changed before insert or update or delete on coordinator_slots
    for each statement execute function metadata_changed();
-- lease renewals touch only lease_expires_at and stay silent
create trigger brokers_changed
    before insert or delete or update of fenced, controlled_shutdown, broker_epoch, incarnation_id, listeners, rack
    on brokers for each statement execute function metadata_changed();
-- per row, so that a failed attempt to take the lease (no row matched) notifies nobody
create trigger controller_changed after update on controller
    for each row when (old.holder is distinct from new.holder or old.epoch <> new.epoch)
    execute function metadata_changed();
