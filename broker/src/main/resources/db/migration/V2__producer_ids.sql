-- Producer ids for idempotent producers, handed to brokers in blocks so that InitProducerId only
-- touches PostgreSQL once per block. The next unallocated id; blocks never overlap or repeat.
create table producer_id_blocks (
    singleton        boolean primary key default true check (singleton),
    next_producer_id bigint not null
);

insert into producer_id_blocks (singleton, next_producer_id) values (true, 0);
